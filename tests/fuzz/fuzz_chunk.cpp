// Fuzz driver for the compressed chunk codec (beat_server/core/store/chunk_codec.hpp).
//
// Invariants, for any input taken as a chunk (chunks are read back from disk):
// - decode_chunk() returns one of the kChunkErrorCount codes, each with a name of its own, reads
//   nothing outside the input, and on an error leaves its output as it was.
// - A chunk that decodes gives exactly the points its header announces, with strictly increasing
//   timestamps; encoded again, those points decode to the same timestamps and value bits.
// And for a sequence of points drawn from the input (NaN-free values, extremes included,
// timestamps in any order, far apart or repeated):
// - ChunkEncoder::append() accepts a point exactly when its timestamp is after the last accepted
//   one and the chunk is not full, and the chunk decodes after every append to the points
//   accepted so far, bit for bit; so does encode_chunk() of them (decimal steps, changes of the
//   step, or XOR encoding).
#include <fuzzer/FuzzedDataProvider.h>

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "beat_server/core/store/chunk_codec.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace beat::fuzz {
namespace {

bool same(std::span<const Point> a, std::span<const Point> b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].timestamp != b[i].timestamp ||
            std::bit_cast<std::uint64_t>(a[i].value) != std::bit_cast<std::uint64_t>(b[i].value))
            return false;
    }
    return true;
}

void check_decode(std::span<const std::uint8_t> input) {
    std::vector<Point> out{{7, 7.0}};
    const ChunkError e = decode_chunk(input, out);
    FUZZ_CHECK(static_cast<std::size_t>(e) < kChunkErrorCount);
    FUZZ_CHECK(to_string(e) != "unknown");
    if (e != ChunkError::ok) {
        FUZZ_CHECK(out.size() == 1);
        return;
    }
    const std::span<const Point> points(out.begin() + 1, out.end());
    FUZZ_CHECK(points.size() == (input[1] | (std::size_t{input[2]} << 8)));
    for (std::size_t i = 1; i < points.size(); ++i)
        FUZZ_CHECK(points[i - 1].timestamp < points[i].timestamp);
    std::vector<Point> again;
    FUZZ_CHECK(decode_chunk(encode_chunk(points), again) == ChunkError::ok);
    FUZZ_CHECK(same(again, points));
}

// A value drawn from the input: extremes, decimals, small steps, a counter's or a clock's steps
// (written as their changes) or any non-NaN bit pattern.
double draw_value(FuzzedDataProvider& in, double last) {
    switch (in.ConsumeIntegralInRange<int>(0, 7)) {
        case 0:
            return last;
        case 3:  // A decimal of up to 9 digits after the point, the decimal encoding's kind.
            return static_cast<double>(
                       in.ConsumeIntegralInRange<std::int64_t>(-(1LL << 53), 1LL << 53)) /
                   std::pow(10.0, in.ConsumeIntegralInRange<int>(0, 10));
        case 1:
            return last + in.ConsumeIntegralInRange<int>(-500, 500) / 100.0;
        case 4:  // A counter at about 2,000/s over 5 s.
            return last + in.ConsumeIntegralInRange<int>(9'000, 11'000);
        case 5:  // An uptime with two decimals, sent every 5 s with jitter.
            return last + in.ConsumeIntegralInRange<int>(470, 530) / 100.0;
        case 2: {
            constexpr double kExtremes[] = {std::numeric_limits<double>::max(),
                                            -std::numeric_limits<double>::max(),
                                            std::numeric_limits<double>::denorm_min(),
                                            std::numeric_limits<double>::min(),
                                            -0.0,
                                            0.0,
                                            std::numeric_limits<double>::infinity(),
                                            -std::numeric_limits<double>::infinity()};
            return in.PickValueInArray(kExtremes);
        }
        default: {
            const double v = std::bit_cast<double>(in.ConsumeIntegral<std::uint64_t>());
            return std::isnan(v) ? 0.0 : v;
        }
    }
}

void check_round_trip(FuzzedDataProvider& in) {
    ChunkEncoder enc;
    std::vector<Point> accepted;
    std::int64_t ts = in.ConsumeIntegral<std::int64_t>();
    double value = 0;
    while (in.remaining_bytes() > 0) {
        switch (in.ConsumeIntegralInRange<int>(0, 3)) {
            case 0:
                ts = in.ConsumeIntegral<std::int64_t>();
                break;  // Anywhere.
            case 1:
                break;  // The same second again.
            default:    // A step of a beat, with jitter, possibly backwards.
                ts = static_cast<std::int64_t>(static_cast<std::uint64_t>(ts) +
                                               in.ConsumeIntegralInRange<std::int64_t>(-3, 70));
        }
        value = draw_value(in, value);
        const bool expected = accepted.empty() || ts > accepted.back().timestamp;
        FUZZ_CHECK(enc.append(ts, value) == expected);
        if (!expected) continue;
        accepted.push_back({ts, value});
        std::vector<Point> out;
        FUZZ_CHECK(decode_chunk(enc.bytes(), out) == ChunkError::ok);
        FUZZ_CHECK(same(out, accepted));
    }
    FUZZ_CHECK(enc.count() == accepted.size());
    // encode_chunk() picks the decimal encoding when it fits: either way the points come back.
    std::vector<Point> out;
    FUZZ_CHECK(decode_chunk(encode_chunk(accepted), out) == ChunkError::ok);
    FUZZ_CHECK(same(out, accepted));
}

}  // namespace
}  // namespace beat::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    beat::fuzz::check_decode({data, size});
    FuzzedDataProvider in(data, size);
    beat::fuzz::check_round_trip(in);
    return 0;
}
