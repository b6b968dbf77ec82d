#include "beat_server/core/store/chunk_codec.hpp"

#include <bit>

namespace beat {
namespace {

constexpr std::size_t kHeaderBits = 24;
constexpr std::uint8_t kXorEncoding = 0;
constexpr unsigned kMaxLeading = 31;  // What 5 bits hold.

// True when the two's complement `v` fits in `bits` bits.
bool fits(std::int64_t v, unsigned bits) noexcept {
    const std::int64_t half = std::int64_t{1} << (bits - 1);
    return v >= -half && v < half;
}

// The `bits`-bit two's complement `v`, sign-extended.
std::int64_t sign_extend(std::uint64_t v, unsigned bits) noexcept {
    const std::uint64_t sign = std::uint64_t{1} << (bits - 1);
    return static_cast<std::int64_t>((v ^ sign) - sign);
}

struct Bucket {
    unsigned prefix_bits;  // The prefix: prefix_bits - 1 ones then a zero ('10', '110', '1110').
    unsigned value_bits;
};
constexpr Bucket kBuckets[] = {{2, 4}, {3, 8}, {4, 17}};

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

ChunkEncoder::ChunkEncoder() : bytes_{kXorEncoding, 0, 0} {}

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
    const auto s = static_cast<std::int64_t>(dod);
    if (s == 0) {
        w.write(0, 1);
    } else {
        bool done = false;
        for (const Bucket& b : kBuckets) {
            if (fits(s, b.value_bits)) {
                w.write((std::uint64_t{1} << b.prefix_bits) - 2, b.prefix_bits);
                w.write(dod & ((std::uint64_t{1} << b.value_bits) - 1), b.value_bits);
                done = true;
                break;
            }
        }
        if (!done) {
            w.write(0b1111, 4);
            w.write(dod, 64);
        }
    }
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
    *this = ChunkEncoder();
    return out;
}

ChunkReader::ChunkReader(std::span<const std::uint8_t> bytes) noexcept
    : bytes_(bytes), in_(bytes, kHeaderBits) {
    if (bytes.size() < 3) {
        error_ = ChunkError::truncated;
        return;
    }
    if (bytes[0] != kXorEncoding) {
        error_ = ChunkError::unknown_encoding;
        return;
    }
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
        // The timestamp: count the prefix's ones (at most four), then read the bucket's bits.
        unsigned ones = 0;
        bool bit = true;
        while (ones < 4) {
            if (!in_.read_bit(bit)) return fail(ChunkError::truncated);
            if (!bit) break;
            ++ones;
        }
        std::uint64_t dod = 0;
        if (ones == 4) {
            if (!in_.read(64, dod)) return fail(ChunkError::truncated);
        } else if (ones > 0) {
            const unsigned n = kBuckets[ones - 1].value_bits;
            std::uint64_t raw = 0;
            if (!in_.read(n, raw)) return fail(ChunkError::truncated);
            dod = static_cast<std::uint64_t>(sign_extend(raw, n));
        }
        const std::uint64_t delta = last_delta_ + dod;
        ts = static_cast<std::uint64_t>(last_ts_) + delta;
        // Modulo 2^64, the sum lands after last_ts_ exactly when delta is positive and the
        // timestamp did not overflow.
        if (delta == 0 || static_cast<std::int64_t>(ts) <= last_ts_)
            return fail(ChunkError::not_increasing);
        last_delta_ = delta;

        bool changed = false, fresh = false;
        if (!in_.read_bit(changed)) return fail(ChunkError::truncated);
        std::uint64_t x = 0;
        if (changed) {
            if (!in_.read_bit(fresh)) return fail(ChunkError::truncated);
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
    }
    last_ts_ = static_cast<std::int64_t>(ts);
    last_bits_ = bits;
    ++read_;
    p = {last_ts_, std::bit_cast<double>(bits)};
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

std::vector<std::uint8_t> encode_chunk(std::span<const Point> points) {
    ChunkEncoder e;
    for (const Point& p : points)
        e.append(p.timestamp, p.value);
    return e.take();
}

}  // namespace beat
