#include "beat_server/core/store/chunk_codec.hpp"

#include <bit>
#include <cmath>

namespace beat {
namespace {

constexpr std::size_t kHeaderBits = 24;
constexpr std::uint8_t kXorEncoding = 0;
constexpr std::uint8_t kDecimalEncoding = 1;      // Plus the scale: 1 to 10.
constexpr std::uint8_t kDecimalDodEncoding = 11;  // Plus the scale: 11 to 20.
constexpr unsigned kMaxLeading = 31;              // What 5 bits hold.

// The `bits`-bit two's complement `v`, sign-extended.
std::int64_t sign_extend(std::uint64_t v, unsigned bits) noexcept {
    const std::uint64_t sign = std::uint64_t{1} << (bits - 1);
    return static_cast<std::int64_t>((v ^ sign) - sign);
}

// The bits of the buckets after '10', '110' and '1110'; after '1111', 64 bits or, when `sized`,
// 6 bits (n - 1) then n bits, n the fewest that hold the value in two's complement.
struct Buckets {
    unsigned bits[3];
    bool sized;
};
constexpr Buckets kTimestampBuckets = {{4, 8, 17}, false};
// Steps of a decimal gauge (hundredths of a percent point moving a little: 6 bits up to +-0.31),
// of a busier one or a small counter (13), of a byte counter at up to 100 kB/s per 5 s (20); a
// noisy rate with two decimals (tens of kB/s) takes its own length.
constexpr Buckets kDecimalBuckets = {{6, 13, 20}, true};
// Changes of the step of a counter or a clock: uptime's hundredths moved by a few tenths of a
// second of send jitter (8 bits up to +-1.27 s), a counter at 2,000/s whose rate moves by a fifth
// from beat to beat (14), at 5,000/s or a beat a second late (17); bursts take their own length.
constexpr Buckets kDecimalDodBuckets = {{8, 14, 17}, true};
constexpr unsigned kMaxScale = 9;  // Decimal values have at most 9 digits after the point.
constexpr double kPow10[kMaxScale + 1] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
constexpr double kMaxExact = 9'007'199'254'740'992.0;  // 2^53: doubles are exact integers below.

// The fewest bits that hold the two's complement `s`: 1 for 0 and -1.
unsigned width(std::int64_t s) noexcept {
    return static_cast<unsigned>(65 - std::countl_zero(static_cast<std::uint64_t>(s ^ (s >> 63))));
}

// Writes the two's complement `v` as '0' (zero), or the shortest of the buckets' prefixes and
// bits, or '1111' and the top bucket's bits.
void write_bucketed(BitWriter& w, std::uint64_t v, const Buckets& buckets) {
    const auto s = static_cast<std::int64_t>(v);
    if (s == 0) {
        w.write(0, 1);
        return;
    }
    const unsigned m = width(s);
    for (unsigned i = 0; i < 3; ++i) {
        const unsigned n = buckets.bits[i];
        if (m <= n) {
            // The prefix and the bits in one write: at most 4 + 20 bits.
            const std::uint64_t prefix = (std::uint64_t{1} << (i + 2)) - 2;
            w.write(prefix << n | (v & ((std::uint64_t{1} << n) - 1)), i + 2 + n);
            return;
        }
    }
    w.write(0b1111, 4);
    if (!buckets.sized) {
        w.write(v, 64);
        return;
    }
    w.write(m - 1, 6);
    w.write(v, m);
}

// The number of bits write_bucketed() writes for `v`.
unsigned bucketed_bits(std::uint64_t v, const Buckets& buckets) noexcept {
    const auto s = static_cast<std::int64_t>(v);
    const unsigned m = width(s);
    const unsigned top = buckets.sized ? 4 + 6 + m : 4 + 64;
    const unsigned bits = m <= buckets.bits[0]   ? 2 + buckets.bits[0]
                          : m <= buckets.bits[1] ? 3 + buckets.bits[1]
                          : m <= buckets.bits[2] ? 4 + buckets.bits[2]
                                                 : top;
    return s == 0 ? 1 : bits;
}

// Reads what write_bucketed() wrote; false when the bits end first. Bits past the end peek as
// zeros, so a truncated prefix is caught by the checks that follow it.
bool read_bucketed(BitReader& in, const Buckets& buckets, std::uint64_t& v) noexcept {
    const auto ones = static_cast<unsigned>(std::countl_one(in.peek(4) << 60));
    const unsigned prefix = ones < 4 ? ones + 1 : 4;
    if (in.size() - in.position() < prefix) return false;
    in.skip(prefix);
    v = 0;
    if (ones == 0) return true;
    if (ones == 4 && !buckets.sized) return in.read(64, v);
    unsigned n = 0;
    if (ones == 4) {
        std::uint64_t size = 0;
        if (!in.read(6, size)) return false;
        n = static_cast<unsigned>(size) + 1;
    } else {
        n = buckets.bits[ones - 1];
    }
    std::uint64_t raw = 0;
    if (!in.read(n, raw)) return false;
    v = static_cast<std::uint64_t>(sign_extend(raw, n));
    return true;
}

// The integer nearest `x`, ties to even: std::nearbyint() in the default rounding mode, without
// a call into libm. Adding and taking back 2^52 leaves no bits after the point; from 2^52 on
// every double is an integer already. -0.0 and values in (-0.5, 0) give +0.0.
double round_even(double x) noexcept {
    if (!(std::fabs(x) < 0x1p52)) return x;
    const double shift = std::copysign(0x1p52, x);
    return (x + shift) - shift;
}

// True when n / 10^scale, with n the integer nearest v * 10^scale and |n| <= 2^53, is `v` bit for
// bit (never for -0.0, infinities or NaN); sets `n`.
bool decimal(double v, unsigned scale, std::int64_t& n) noexcept {
    const double scaled = round_even(v * kPow10[scale]);
    if (!(std::fabs(scaled) <= kMaxExact)) return false;
    n = static_cast<std::int64_t>(scaled);
    return std::bit_cast<std::uint64_t>(static_cast<double>(n) / kPow10[scale]) ==
           std::bit_cast<std::uint64_t>(v);
}

// The smallest number of decimal digits after the point that writes every value exactly
// (decimal()), or -1.
int decimal_scale(std::span<const Point> points) noexcept {
    unsigned scale = 0;
    std::int64_t n = 0;
    for (const Point& p : points) {
        while (!decimal(p.value, scale, n)) {
            if (++scale > kMaxScale) return -1;
        }
    }
    return static_cast<int>(scale);
}

// Makes `out` the header of a chunk of `encoding` and `count` points, with room after it for
// about 3 bytes a point.
void start_chunk(std::vector<std::uint8_t>& out, std::uint8_t encoding, std::size_t count) {
    out.assign(3 + 16 + 3 * count, 0);
    out[0] = encoding;
    out[1] = static_cast<std::uint8_t>(count & 0xff);
    out[2] = static_cast<std::uint8_t>(count >> 8);
}

// Writes point `i` of `points`, whose values' integers are `ns` (from the first to the `i`th at
// least), after the points before it: its value as a step or, when `dod`, as a change of the step.
void write_decimal_point(BitWriter& w, std::span<const Point> points,
                         std::span<const std::uint64_t> ns, std::size_t i, bool dod) {
    const auto ts = [&](std::size_t k) { return static_cast<std::uint64_t>(points[k].timestamp); };
    if (i == 0) {
        w.write(ts(0), 64);
        w.write(ns[0], 64);
        return;
    }
    const std::uint64_t last_delta = i > 1 ? ts(i - 1) - ts(i - 2) : 0;
    write_bucketed(w, ts(i) - ts(i - 1) - last_delta, kTimestampBuckets);
    const std::uint64_t step = ns[i] - ns[i - 1];
    if (dod) {
        const std::uint64_t last_step = i > 1 ? ns[i - 1] - ns[i - 2] : 0;
        write_bucketed(w, step - last_step, kDecimalDodBuckets);
    } else {
        write_bucketed(w, step, kDecimalBuckets);
    }
}

// Makes `out` the chunk of the first `count` `points`, whose values' integers are `ns`, in the
// decimal encoding of `scale` digits, values as steps or, when `dod`, as changes of the step;
// returns the writer, to append more points with.
BitWriter write_decimal_points(std::span<const Point> points, std::span<const std::uint64_t> ns,
                               std::size_t count, unsigned scale, bool dod,
                               std::vector<std::uint8_t>& out) {
    start_chunk(out,
                static_cast<std::uint8_t>((dod ? kDecimalDodEncoding : kDecimalEncoding) + scale),
                points.size());
    BitWriter w(out, kHeaderBits);
    for (std::size_t i = 0; i < count; ++i)
        write_decimal_point(w, points, ns, i, dod);
    return w;
}

// The points after which encode_decimal() writes the rest of a chunk as steps or as changes of
// the step, whichever the points so far take fewer bits in: a guess it rarely has to take back.
constexpr std::size_t kGuessPoints = 16;

// Makes `out` the chunk of `points` in the decimal encoding of `scale` digits, its values as
// steps or as changes of the step, whichever takes fewer bits (steps when equal), sets `ns` to
// the values' integers and returns points.size(); or returns the index of the first point whose
// value `scale` digits do not write exactly (decimal()), leaving `out` and `ns` unspecified.
// Counts the bits of both while it writes one, so a chunk is mostly written once.
std::size_t encode_decimal(std::span<const Point> points, unsigned scale,
                           std::vector<std::uint8_t>& out, std::vector<std::uint64_t>& ns) {
    ns.resize(points.size());
    bool dod = false;
    BitWriter w = write_decimal_points(points, ns, 0, scale, dod, out);
    std::size_t step_bits = 0, dod_bits = 0;
    std::uint64_t last_delta = 0, last_step = 0;
    for (std::size_t i = 0; i < points.size(); ++i) {
        std::int64_t exact = 0;
        if (!decimal(points[i].value, scale, exact)) return i;
        ns[i] = static_cast<std::uint64_t>(exact);
        if (i == kGuessPoints && (dod_bits < step_bits) != dod) {
            dod = !dod;
            w = write_decimal_points(points, ns, i, scale, dod, out);
        }
        if (i == 0) {
            write_decimal_point(w, points, ns, 0, dod);
            continue;
        }
        // write_decimal_point() with the last delta and step at hand.
        const std::uint64_t delta = static_cast<std::uint64_t>(points[i].timestamp) -
                                    static_cast<std::uint64_t>(points[i - 1].timestamp);
        write_bucketed(w, delta - last_delta, kTimestampBuckets);
        const std::uint64_t step = ns[i] - ns[i - 1];
        // The bits of the encoding written are what it writes; only the other one's are counted.
        const std::size_t before = w.bit_size();
        if (dod) {
            write_bucketed(w, step - last_step, kDecimalDodBuckets);
            dod_bits += w.bit_size() - before;
            step_bits += bucketed_bits(step, kDecimalBuckets);
        } else {
            write_bucketed(w, step, kDecimalBuckets);
            step_bits += w.bit_size() - before;
            dod_bits += bucketed_bits(step - last_step, kDecimalDodBuckets);
        }
        last_delta = delta;
        last_step = step;
    }
    if ((dod_bits < step_bits) != dod) {
        w = write_decimal_points(points, ns, points.size(), scale, !dod, out);
    }
    out.resize((w.bit_size() + 7) / 8);
    return points.size();
}

// Makes `out` the chunk of `points` in the decimal encoding with decimal_scale()'s digits when
// every value is written exactly with them, its values as steps or as changes of the step,
// whichever takes fewer bits (steps when equal); false otherwise. Encodes the steps as it looks
// for the scale, counting the bits of both, and keeps the integers for the changes of the step:
// a value that needs more digits than the ones before it starts the encoding again with them.
bool encode_decimal(std::span<const Point> points, std::vector<std::uint8_t>& out) {
    // The values' integers, in space kept from one call to the next.
    thread_local std::vector<std::uint64_t> ns;
    unsigned scale = 0;
    std::size_t scanned = 0;  // decimal_scale() of points [0, scanned) is `scale`.
    for (;;) {
        const std::size_t failed = encode_decimal(points, scale, out, ns);
        if (failed == points.size()) break;
        // A value the scan passed with fewer digits is inexact with more (rare): the scale of
        // the whole chunk decides, as the definition says.
        if (failed < scanned) {
            const int scale_of_all = decimal_scale(points);
            if (scale_of_all < 0) return false;
            scale = static_cast<unsigned>(scale_of_all);
            if (encode_decimal(points, scale, out, ns) != points.size()) return false;
            break;
        }
        std::int64_t n = 0;
        do {
            if (++scale > kMaxScale) return false;
        } while (!decimal(points[failed].value, scale, n));
        scanned = failed + 1;
    }
    return true;
}

}  // namespace

std::string_view to_string(ChunkError e) noexcept {
    switch (e) {
        case ChunkError::ok:
            return "ok";
        case ChunkError::truncated:
            return "truncated";
        case ChunkError::not_increasing:
            return "timestamps not increasing";
        case ChunkError::bad_window:
            return "bad value window";
        case ChunkError::trailing_bytes:
            return "bytes after the last point";
        case ChunkError::unknown_encoding:
            return "unknown encoding";
    }
    return "unknown";
}

ChunkEncoder::ChunkEncoder(std::size_t expected_points)
    // The header, a first point's 16 bytes, then a guess of 4 bytes a point (most gauges').
    : bytes_(3 + 16 + 4 * expected_points, 0) {
    bytes_[0] = kXorEncoding;
}

bool ChunkEncoder::append(std::int64_t timestamp, double value) {
    if (count_ == kMaxChunkPoints || (count_ > 0 && timestamp <= last_ts_)) return false;
    const auto bits = std::bit_cast<std::uint64_t>(value);
    if (count_ == 0) {
        BitWriter w(bytes_, bits_);
        w.write(static_cast<std::uint64_t>(timestamp), 64);
        w.write(bits, 64);
        bits_ = w.bit_size();
    } else {
        const std::uint64_t delta =
            static_cast<std::uint64_t>(timestamp) - static_cast<std::uint64_t>(last_ts_);
        write_timestamp(delta - last_delta_);
        write_value(bits ^ last_bits_);
        last_delta_ = delta;
    }
    last_ts_ = timestamp;
    last_bits_ = bits;
    ++count_;
    bytes_[1] = static_cast<std::uint8_t>(count_ & 0xff);
    bytes_[2] = static_cast<std::uint8_t>(count_ >> 8);
    return true;
}

void ChunkEncoder::write_timestamp(std::uint64_t dod) {
    BitWriter w(bytes_, bits_);
    write_bucketed(w, dod, kTimestampBuckets);
    bits_ = w.bit_size();
}

void ChunkEncoder::write_value(std::uint64_t x) {
    BitWriter w(bytes_, bits_);
    if (x == 0) {
        w.write(0, 1);
    } else {
        const auto leading = std::min<unsigned>(std::countl_zero(x), kMaxLeading);
        const auto trailing = static_cast<unsigned>(std::countr_zero(x));
        const unsigned significant = 64 - leading - trailing;
        const unsigned window = 64 - leading_ - trailing_;
        // trailing_ is 64 until a window opens, which makes the first test fail.
        if (trailing_ < 64 && leading >= leading_ && trailing >= trailing_ &&
            2 + window <= 2 + 5 + 6 + significant) {
            w.write(0b10, 2);
            w.write(x >> trailing_, window);
        } else {
            w.write(0b11, 2);
            w.write(leading, 5);
            w.write(significant - 1, 6);
            w.write(x >> trailing, significant);
            leading_ = leading;
            trailing_ = trailing;
        }
    }
    bits_ = w.bit_size();
}

std::vector<std::uint8_t> ChunkEncoder::take() {
    std::vector<std::uint8_t> out = std::move(bytes_);
    out.resize((bits_ + 7) / 8);
    *this = ChunkEncoder();
    return out;
}

ChunkReader::ChunkReader(std::span<const std::uint8_t> bytes) noexcept
    : bytes_(bytes), in_(bytes, kHeaderBits) {
    if (bytes.size() < 3) {
        error_ = ChunkError::truncated;
        return;
    }
    if (bytes[0] > kDecimalDodEncoding + kMaxScale) {
        error_ = ChunkError::unknown_encoding;
        return;
    }
    dod_ = bytes[0] >= kDecimalDodEncoding;
    scale_ = bytes[0] == kXorEncoding ? -1
             : dod_                   ? bytes[0] - kDecimalDodEncoding
                                      : bytes[0] - kDecimalEncoding;
    count_ = bytes[1] | (std::size_t{bytes[2]} << 8);
}

bool ChunkReader::next(Point& p) noexcept {
    if (read_ == count_) {
        if (error_ != ChunkError::ok) return false;
        // The padding: fewer than 8 bits, all zero, and no byte after them.
        const std::size_t left = in_.size() - in_.position();
        std::uint64_t padding = 0;
        if (left >= 8 || !in_.read(static_cast<unsigned>(left), padding) || padding != 0)
            return fail(ChunkError::trailing_bytes);
        return false;
    }
    std::uint64_t ts = 0, bits = 0;
    if (read_ == 0) {
        if (!in_.read(64, ts) || !in_.read(64, bits)) return fail(ChunkError::truncated);
    } else {
        std::uint64_t dod = 0;
        if (!read_bucketed(in_, kTimestampBuckets, dod)) return fail(ChunkError::truncated);
        const std::uint64_t delta = last_delta_ + dod;
        ts = static_cast<std::uint64_t>(last_ts_) + delta;
        // Modulo 2^64, the sum lands after last_ts_ exactly when delta is positive and the
        // timestamp did not overflow.
        if (delta == 0 || static_cast<std::int64_t>(ts) <= last_ts_)
            return fail(ChunkError::not_increasing);
        last_delta_ = delta;

        if (scale_ >= 0) {
            std::uint64_t step = 0;
            if (!read_bucketed(in_, dod_ ? kDecimalDodBuckets : kDecimalBuckets, step))
                return fail(ChunkError::truncated);
            if (dod_) step += last_step_;
            bits = last_bits_ + step;
            last_step_ = step;
        } else if (!read_xor(bits)) {
            return false;
        }
    }
    last_ts_ = static_cast<std::int64_t>(ts);
    last_bits_ = bits;
    ++read_;
    p.timestamp = last_ts_;
    p.value = scale_ >= 0 ? static_cast<double>(static_cast<std::int64_t>(bits)) / kPow10[scale_]
                          : std::bit_cast<double>(bits);
    return true;
}

bool ChunkReader::read_xor(std::uint64_t& bits) noexcept {
    // The value: '0', '10' or '11'.
    const std::size_t left = in_.size() - in_.position();
    if (left == 0) return fail(ChunkError::truncated);
    const std::uint64_t control = in_.peek(2);
    const bool changed = (control & 2) != 0, fresh = control == 3;
    if (changed && left < 2) return fail(ChunkError::truncated);
    in_.skip(changed ? 2 : 1);
    std::uint64_t x = 0;
    if (changed) {
        if (fresh) {
            std::uint64_t leading = 0, significant = 0;
            if (!in_.read(5, leading) || !in_.read(6, significant))
                return fail(ChunkError::truncated);
            ++significant;
            if (leading + significant > 64) return fail(ChunkError::bad_window);
            leading_ = static_cast<unsigned>(leading);
            trailing_ = static_cast<unsigned>(64 - leading - significant);
        } else if (trailing_ == 64) {
            return fail(ChunkError::bad_window);
        }
        const unsigned window = 64 - leading_ - trailing_;
        if (!in_.read(window, x)) return fail(ChunkError::truncated);
        x <<= trailing_;
    }
    bits = last_bits_ ^ x;
    return true;
}

ChunkError decode_chunk(std::span<const std::uint8_t> bytes, std::vector<Point>& out) {
    ChunkReader r(bytes);
    const std::size_t before = out.size();
    out.reserve(before + r.count());
    Point p;
    while (r.next(p))
        out.push_back(p);
    if (r.error() != ChunkError::ok) out.resize(before);
    return r.error();
}

std::int64_t chunk_first_timestamp(std::span<const std::uint8_t> bytes) noexcept {
    std::uint64_t ts = 0;
    BitReader(bytes, kHeaderBits).read(64, ts);
    return static_cast<std::int64_t>(ts);
}

void encode_chunk(std::span<const Point> points, std::vector<std::uint8_t>& out) {
    if (encode_decimal(points, out)) return;
    ChunkEncoder e(points.size());
    for (const Point& p : points)
        e.append(p.timestamp, p.value);
    out = e.take();
}

std::vector<std::uint8_t> encode_chunk(std::span<const Point> points) {
    std::vector<std::uint8_t> out;
    encode_chunk(points, out);
    return out;
}

}  // namespace beat
