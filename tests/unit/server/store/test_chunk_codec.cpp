#include <catch2/catch.hpp>

#include <bit>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "beat_server/core/store/chunk_codec.hpp"

using namespace beat;

namespace {

using Bytes = std::vector<std::uint8_t>;

std::string hex(std::span<const std::uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (std::uint8_t b : bytes) {
        out += kDigits[b >> 4];
        out += kDigits[b & 0xf];
    }
    return out;
}

Bytes unhex(std::string_view s) {
    Bytes out;
    for (std::size_t i = 0; i + 1 < s.size(); i += 2)
        out.push_back(
            static_cast<std::uint8_t>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16)));
    return out;
}

// The points decode_chunk() gives for `bytes`, which must decode.
std::vector<Point> decoded(const Bytes& bytes) {
    std::vector<Point> out;
    const ChunkError e = decode_chunk(bytes, out);
    INFO(to_string(e));
    REQUIRE(e == ChunkError::ok);
    return out;
}

// True when `a` and `b` hold the same timestamps and the same value bits.
bool same(const std::vector<Point>& a, const std::vector<Point>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].timestamp != b[i].timestamp ||
            std::bit_cast<std::uint64_t>(a[i].value) != std::bit_cast<std::uint64_t>(b[i].value))
            return false;
    }
    return true;
}

// Checks that `bytes` decode to `points` bit for bit and returns them in hex.
std::string checked(const Bytes& bytes, const std::vector<Point>& points) {
    CHECK(same(decoded(bytes), points));
    return hex(bytes);
}

// The XOR chunk of `points`, appended point by point, in hex.
std::string encoded(const std::vector<Point>& points) {
    ChunkEncoder e;
    for (const Point& p : points)
        REQUIRE(e.append(p.timestamp, p.value));
    return checked(e.take(), points);
}

// The chunk encode_chunk() makes of `points`, in hex.
std::string compressed(const std::vector<Point>& points) {
    return checked(encode_chunk(points), points);
}

constexpr std::int64_t kT = 1'700'000'000;  // 2023-11-14, Unix seconds.

}  // namespace

TEST_CASE("an empty chunk is its encoding and count", "[chunk]") {
    CHECK(encoded({}) == "000000");
}

TEST_CASE("a single point is its timestamp and value in full", "[chunk]") {
    // Encoding 0, count 1, then 0x6553f100 (kT) and the bits of 1.5, big-endian.
    CHECK(encoded({{kT, 1.5}}) == "000100000000006553f1003ff8000000000000");
}

TEST_CASE("a constant at a regular cadence costs two bits a point", "[chunk]") {
    std::vector<Point> points;
    for (int i = 0; i < 8; ++i)
        points.push_back({kT + 5 * i, 42.0});
    CHECK(encoded(points) == "000800000000006553f1004045000000000000940000");
}

TEST_CASE("a regular counter encodes its steps in the value window", "[chunk]") {
    std::vector<Point> points;
    for (int i = 0; i < 6; ++i)
        points.push_back({kT + 5 * i, 1e6 + 1536.0 * i});
    CHECK(encoded(points) == "000600000000006553f100412e8480000000009798553720f53b889d");
}

TEST_CASE("a jittered gauge with two decimals encodes its jitter in short buckets", "[chunk]") {
    CHECK(encoded({{kT, 37.25},
                   {kT + 5, 37.31},
                   {kT + 9, 37.3},
                   {kT + 15, 37.18},
                   {kT + 20, 37.18},
                   {kT + 26, 36.9}}) ==
          "000600000000006553f1004042a0000000000097acfeb851eb8537f79f90e4390e5e2e56e2d8b"
          "62d8b637a1e16f21c8721c872");
}

TEST_CASE("extreme doubles round-trip bit for bit", "[chunk]") {
    constexpr double kMax = std::numeric_limits<double>::max();
    constexpr double kDenorm = std::numeric_limits<double>::denorm_min();
    CHECK(encoded({{kT, kMax},
                   {kT + 1, -kMax},
                   {kT + 2, kDenorm},
                   {kT + 3, -kDenorm},
                   {kT + 4, -0.0},
                   {kT + 5, 0.0},
                   {kT + 6, std::numeric_limits<double>::min()},
                   {kT + 7, std::numeric_limits<double>::infinity()}}) ==
          "000800000000006553f1007fefffffffffffff8700160fbffbffffffffffffb0017f800000000"
          "2c005ac0b093ff8");
}

TEST_CASE("timestamps far apart take the 64-bit bucket", "[chunk]") {
    constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
    CHECK(encoded({{kMin, 1}, {-1, 1}, {0, 1}, {70'000, 1}, {kMax, 1}}) ==
          "00050080000000000000003ff0000000000000f7fffffffffffffff7c0000000000000013c000"
          "00000000445bdefffffffffffbba3e0");
}

TEST_CASE("a gauge with two decimals is written as steps of hundredths", "[chunk]") {
    // Encoding 3 (2 digits), then 3725 and the steps +6, -1, -12, 0, -28.
    CHECK(compressed({{kT, 37.25},
                      {kT + 5, 37.31},
                      {kT + 9, 37.3},
                      {kT + 15, 37.18},
                      {kT + 20, 37.18},
                      {kT + 26, 36.9}}) ==
          "030600000000006553f1000000000000000e8d961afbf8ad2f4348");
}

TEST_CASE("a byte counter is written as whole steps", "[chunk]") {
    std::vector<Point> points;
    for (int i = 0; i < 6; ++i)
        points.push_back({kT + 5 * i, 1e6 + 1536.0 * i});
    // Encoding 1 gives them back as written before changes of the step existed.
    CHECK(checked(unhex("010600000000006553f10000000000000f42409718018c00c6006300318000"),
                  points) == "010600000000006553f10000000000000f42409718018c00c6006300318000");
    // encode_chunk() writes their one step once: encoding 11, 1000000, the change +1536 ('110'
    // + 14 bits), then four '0'.
    CHECK(compressed(points) == "0b0600000000006553f10000000000000f4240970c0000");
}

TEST_CASE("a counter whose rate barely moves is written as changes of its step", "[chunk]") {
    // An interrupt counter at about 2,000/s: encoding 11, then the steps 10000, 10412, 9876,
    // 10230, 10005, 12011 (a beat a second late) as their changes +10000, +412, -536, +354,
    // -225, +2006.
    CHECK(compressed({{kT, 123'456'789},
                      {kT + 5, 123'466'789},
                      {kT + 10, 123'477'201},
                      {kT + 15, 123'487'077},
                      {kT + 20, 123'497'307},
                      {kT + 25, 123'507'312},
                      {kT + 31, 123'519'323}}) ==
          "0b0700000000006553f10000000000075bcd159784e20c0ce37bd0c0b137e3f0e1f580");
}

TEST_CASE("an uptime in seconds with two decimals is written as changes of its step", "[chunk]") {
    // Encoding 13 (2 digits): sent with a few tenths of a second of jitter, the step in
    // hundredths is about 500 and its change fits 8 bits.
    CHECK(compressed({{kT, 2'592'000.17},
                      {kT + 5, 2'592'005.21},
                      {kT + 10, 2'592'009.98},
                      {kT + 15, 2'592'015.3},
                      {kT + 20, 2'592'020.04},
                      {kT + 25, 2'592'025.11}}) ==
          "0d0600000000006553f100000000000f7314119703f0b951bac64420");
}

TEST_CASE("a chunk takes the shorter of steps and their changes even when its first points do not",
          "[chunk]") {
    // Steps of +-5 (8 bits each, their changes 10) for 20 points, then 100 steps of 1000 (16
    // bits each, their changes 1): changes of the step.
    std::vector<Point> points;
    double v = 1e6;
    for (int i = 0; i < 120; ++i) {
        v += i < 20 ? (i % 2 == 0 ? 5 : -5) : 1000;
        points.push_back({kT + 5 * i, v});
    }
    CHECK(compressed(points).substr(0, 2) == "0b");
    // 20 steps of 1000, then 100 steps of 0, 31, 0, -31 (4.5 bits a step on average, 10 bits a
    // change): steps.
    points.clear();
    constexpr int kCycle[] = {0, 31, 0, -31};
    for (int i = 0; i < 120; ++i) {
        v += i < 20 ? 1000 : kCycle[i % 4];
        points.push_back({kT + 5 * i, v});
    }
    CHECK(compressed(points).substr(0, 2) == "01");
}

TEST_CASE("a step beyond 20 bits takes as many bits as it needs", "[chunk]") {
    // Encoding 3, then 100025 and the steps +600025 and -600025: '1111', 6 bits for 21 (20),
    // then 21 bits.
    CHECK(compressed({{kT, 1000.25}, {kT + 5, 7000.5}, {kT + 10, 1000.25}}) ==
          "030300000000006553f10000000000000186b997d4493ecbd4b6c138");
    // Encoding 1: 0, then the steps +2^53 and -2^54 in 55 bits each.
    CHECK(compressed({{kT, 0}, {kT + 5, 0x1p53}, {kT + 10, -0x1p53}}) ==
          "010300000000006553f100000000000000000097f640000000000000fda000000000000000");
}

TEST_CASE("values no decimal of at most 9 digits gives back bit for bit stay XOR-ed", "[chunk]") {
    constexpr double kMax = std::numeric_limits<double>::max();
    for (const double v : {0.1 + 0.2, -0.0, kMax, std::numeric_limits<double>::denorm_min(),
                           std::numeric_limits<double>::infinity(), 1e-10}) {
        INFO(v);
        const std::vector<Point> points{{kT, 1}, {kT + 5, v}};
        CHECK(compressed(points) == encoded(points));
    }
    // 2^53 + 2 is a whole number, but beyond the integers a double holds exactly.
    const std::vector<Point> big{{kT, 9'007'199'254'740'994.0}};
    CHECK(compressed(big) == encoded(big));
    CHECK(compressed({{kT, 9'007'199'254'740'992.0}}).substr(0, 2) == "01");
}

TEST_CASE("a value with more digits than those before it sets the scale of the whole chunk",
          "[chunk]") {
    // Encoding 3 (2 digits) although the first values need none, then one (steps, which these
    // write shorter than their changes).
    CHECK(compressed({{kT, 37}, {kT + 5, 37.2}, {kT + 10, 37}, {kT + 15, 37.25}}).substr(0, 2) ==
          "03");
    // 2^53 is a decimal of no digits, but not of the one digit 0.5 needs: XOR for both.
    const std::vector<Point> wide{{kT, 9'007'199'254'740'992.0}, {kT + 5, 0.5}};
    CHECK(compressed(wide) == encoded(wide));
}

TEST_CASE("encode_chunk into a buffer that held another chunk gives the same bytes", "[chunk]") {
    std::vector<Point> counter, xored;
    for (int i = 0; i < 200; ++i) {
        counter.push_back({kT + 5 * i, 1e9 + 50'000.0 * i * i});
        xored.push_back({kT + 5 * i, 1.0 / (i + 3)});
    }
    std::vector<Point> gauge{{kT, 37.25}, {kT + 5, 37.31}};
    Bytes out;
    for (const std::vector<Point>* points : {&counter, &gauge, &xored, &gauge, &counter}) {
        encode_chunk(*points, out);
        CHECK(out == encode_chunk(*points));
    }
}

TEST_CASE("a chunk refuses a point at or before its last one", "[chunk]") {
    ChunkEncoder e;
    REQUIRE(e.append(kT, 1));
    REQUIRE(e.append(kT + 5, 2));
    const std::string before = hex(e.bytes());
    CHECK_FALSE(e.append(kT + 5, 3));
    CHECK_FALSE(e.append(kT + 1, 3));
    CHECK(hex(e.bytes()) == before);
    CHECK(e.count() == 2);
    CHECK(e.append(kT + 6, 3));
}

TEST_CASE("a truncated decimal chunk is refused", "[chunk]") {
    const std::vector<Point> points{{kT, 37.25}, {kT + 5, 37.31}, {kT + 9, 37.3}};
    const Bytes whole = encode_chunk(points);
    REQUIRE(whole[0] == 3);
    for (std::size_t n = 0; n < whole.size(); ++n) {
        std::vector<Point> out;
        CHECK(decode_chunk(std::span(whole).first(n), out) == ChunkError::truncated);
    }
}

TEST_CASE("a truncated chunk of changes of the step is refused", "[chunk]") {
    std::vector<Point> points;
    for (int i = 0; i < 5; ++i)
        points.push_back({kT + 5 * i, 500.25 + 5.01 * i + 0.01 * (i % 2)});
    const Bytes whole = encode_chunk(points);
    REQUIRE(whole[0] == 13);
    for (std::size_t n = 0; n < whole.size(); ++n) {
        std::vector<Point> out;
        CHECK(decode_chunk(std::span(whole).first(n), out) == ChunkError::truncated);
    }
}

TEST_CASE("a chunk holds at most 65535 points", "[chunk]") {
    ChunkEncoder e;
    for (std::size_t i = 0; i < kMaxChunkPoints; ++i)
        REQUIRE(e.append(static_cast<std::int64_t>(i), 0));
    CHECK_FALSE(e.append(static_cast<std::int64_t>(kMaxChunkPoints), 0));
    const Bytes bytes = e.take();
    CHECK(decoded(bytes).size() == kMaxChunkPoints);
    CHECK(e.count() == 0);
}

TEST_CASE("a chunk appended to point by point is complete after every point", "[chunk]") {
    ChunkEncoder e;
    std::vector<Point> points;
    for (int i = 0; i < 50; ++i) {
        points.push_back({kT + 5 * i + (i % 3), 20 + 0.01 * (i % 7)});
        REQUIRE(e.append(points.back().timestamp, points.back().value));
        CHECK(same(decoded(Bytes(e.bytes().begin(), e.bytes().end())), points));
    }
}

TEST_CASE("a corrupt chunk is refused with its reason and leaves the output as it was", "[chunk]") {
    const std::string one = "000100000000006553f1003ff8000000000000";
    struct Case {
        std::string bytes;
        ChunkError error;
    };
    const Case c =
        GENERATE_COPY(Case{"", ChunkError::truncated}, Case{"0001", ChunkError::truncated},
                      Case{"000100", ChunkError::truncated},  // One point announced, none there.
                      Case{one.substr(0, one.size() - 2), ChunkError::truncated},
                      Case{one + "00", ChunkError::trailing_bytes},
                      Case{"15" + one.substr(2), ChunkError::unknown_encoding},
                      // Encoding 11, a second point whose timestamp is not after the first.
                      Case{"0b0200" + one.substr(6) + "00", ChunkError::not_increasing},
                      // Encoding 11, a second point whose change of the step is cut short.
                      Case{"0b0200" + one.substr(6) + "8700", ChunkError::truncated},
                      Case{"00000080", ChunkError::trailing_bytes},  // A non-zero padding bit.
                      // A second point with dod 0 after the first: a delta of 0.
                      Case{"000200" + one.substr(6) + "00", ChunkError::not_increasing},
                      // A second point with dod -1: a negative delta.
                      Case{"000200" + one.substr(6) + "bc", ChunkError::not_increasing},
                      // A second point, dod 1, whose value reuses a window never opened ('10').
                      Case{"000200" + one.substr(6) + "8600", ChunkError::bad_window},
                      // A window of 31 leading zeros and 64 significant bits.
                      Case{"000200" + one.substr(6) + "87ffe0", ChunkError::bad_window});
    std::vector<Point> out{{1, 2}};
    INFO(c.bytes);
    CHECK(decode_chunk(unhex(c.bytes), out) == c.error);
    CHECK(out.size() == 1);
}

TEST_CASE("every chunk error has a name", "[chunk]") {
    for (std::size_t i = 0; i < kChunkErrorCount; ++i)
        CHECK(to_string(static_cast<ChunkError>(i)) != "unknown");
}
