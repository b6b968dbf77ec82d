#include "beat_server/core/sql/pg_binary.hpp"

#include <bit>
#include <cassert>

namespace beat {
namespace {

// PostgreSQL's type oids (pg_type.dat) of the array elements.
constexpr std::uint32_t kInt8Oid = 20;
constexpr std::uint32_t kFloat8Oid = 701;
constexpr std::uint32_t kTimestamptzOid = 1184;

void put_be(std::string& out, std::uint64_t v, int bytes) {
    for (int shift = (bytes - 1) * 8; shift >= 0; shift -= 8)
        out += static_cast<char>((v >> shift) & 0xff);
}
void put32(std::string& out, std::uint32_t v) {
    put_be(out, v, 4);
}
void put64(std::string& out, std::uint64_t v) {
    put_be(out, v, 8);
}

// The header of a one-dimensional array of `n` elements of type `oid` (an empty array has no
// dimension), elements `element_bytes` long each, reserved in `out`.
std::string array_header(std::uint32_t oid, std::size_t n, std::size_t element_bytes) {
    std::string out;
    out.reserve(20 + n * (4 + element_bytes));
    put32(out, n == 0 ? 0 : 1);  // Dimensions.
    put32(out, 0);               // No NULLs.
    put32(out, oid);
    if (n > 0) {
        put32(out, static_cast<std::uint32_t>(n));  // Length of the dimension.
        put32(out, 1);                              // Lower bound.
    }
    return out;
}

}  // namespace

std::string int8_array_binary(std::span<const std::int64_t> values) {
    std::string out = array_header(kInt8Oid, values.size(), 8);
    for (std::int64_t v : values) {
        put32(out, 8);
        put64(out, static_cast<std::uint64_t>(v));
    }
    return out;
}

std::string timestamptz_array_binary(std::span<const std::int64_t> unix_s) {
    std::string out = array_header(kTimestamptzOid, unix_s.size(), 8);
    for (std::int64_t s : unix_s) {
        put32(out, 8);
        put64(out, static_cast<std::uint64_t>(timestamptz_of(s)));
    }
    return out;
}

std::string float8_array_binary(std::span<const double> values) {
    std::string out = array_header(kFloat8Oid, values.size(), 8);
    for (double v : values) {
        put32(out, 8);
        put64(out, std::bit_cast<std::uint64_t>(v));
    }
    return out;
}

std::string copy_binary_points(std::span<const std::int64_t> series,
                               std::span<const std::int64_t> unix_s,
                               std::span<const double> values) {
    assert(series.size() == unix_s.size() && series.size() == values.size());
    static constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // With its final '\0': 11 bytes.
    std::string out(kSignature, sizeof kSignature);
    out.reserve(out.size() + 8 + series.size() * (2 + 3 * 4 + 3 * 8) + 2);
    put32(out, 0);  // Flags: no OIDs.
    put32(out, 0);  // No header extension.
    for (std::size_t i = 0; i < series.size(); ++i) {
        put_be(out, 3, 2);  // Fields in the tuple.
        put32(out, 8);
        put64(out, static_cast<std::uint64_t>(series[i]));
        put32(out, 8);
        put64(out, static_cast<std::uint64_t>(timestamptz_of(unix_s[i])));
        put32(out, 8);
        put64(out, std::bit_cast<std::uint64_t>(values[i]));
    }
    put_be(out, 0xffff, 2);  // Trailer: a field count of -1.
    return out;
}

}  // namespace beat
