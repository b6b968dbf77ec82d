#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "beat_server/core/sql/pg_binary.hpp"

using namespace beat;

namespace {

// `bytes` as lowercase hex digits, as PostgreSQL's bytea output shows them.
std::string hex(const std::string& bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += kDigits[c >> 4];
        out += kDigits[c & 15];
    }
    return out;
}

}  // namespace

// The expected bytes are PostgreSQL 15's own: SELECT array_send(...) of the same arrays.
TEST_CASE("an int8 array is sent as array_send writes it", "[pg_binary]") {
    const std::vector<std::int64_t> v{1, 2};
    CHECK(hex(int8_array_binary(v)) ==
          "0000000100000000000000140000000200000001"
          "000000080000000000000001000000080000000000000002");
    CHECK(hex(int8_array_binary({})) == "000000000000000000000014");
}

TEST_CASE("a float8 array keeps each double's bits, NaN and -Infinity included", "[pg_binary]") {
    const std::vector<double> v{1.5, std::numeric_limits<double>::quiet_NaN(),
                                -std::numeric_limits<double>::infinity()};
    CHECK(hex(float8_array_binary(v)) ==
          "0000000100000000000002bd0000000300000001"
          "000000083ff8000000000000000000087ff800000000000000000008fff0000000000000");
}

TEST_CASE("a timestamptz array counts microseconds from 2000-01-01 UTC", "[pg_binary]") {
    // to_timestamp(0) and to_timestamp(946684801).
    const std::vector<std::int64_t> v{0, 946'684'801};
    CHECK(hex(timestamptz_array_binary(v)) ==
          "0000000100000000000004a00000000200000001"
          "00000008fffca2fec4c82000"
          "0000000800000000000f4240");
    CHECK(timestamptz_of(kPostgresEpochUnixS) == 0);
}

TEST_CASE("a binary COPY stream has the signature, one 3-field tuple per row and the trailer",
          "[pg_binary]") {
    const std::vector<std::int64_t> series{7};
    const std::vector<std::int64_t> times{946'684'801};
    const std::vector<double> values{-0.0};
    CHECK(hex(copy_binary_points(series, times, values)) ==
          "5047434f50590aff0d0a00"  // PGCOPY\n\377\r\n\0
          "0000000000000000"        // Flags, header extension length.
          "0003"                    // Fields.
          "000000080000000000000007"
          "0000000800000000000f4240"
          "000000088000000000000000"
          "ffff");
    CHECK(hex(copy_binary_points({}, {}, {})) == "5047434f50590aff0d0a000000000000000000ffff");
}
