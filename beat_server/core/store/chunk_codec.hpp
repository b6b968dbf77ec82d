// The compressed chunk: up to kMaxChunkPoints points with strictly increasing timestamps, encoded
// with delta-of-delta timestamps after Gorilla (Pelkonen et al., VLDB 2015), and values either
// XOR-ed like Gorilla's or, when every value of the chunk is a decimal of a few digits (a
// percentage with two decimals, a byte counter), as integer steps.
//
// Layout: the encoding as 1 byte, the point count as 2 bytes little-endian, then a bit stream,
// most significant bit first, padded with zero bits to a whole byte:
//   first point   64 bits timestamp (two's complement), 64 bits value (see below);
//   every other   its timestamp, then its value, as follows.
// Timestamp: delta = t - previous t (taken as 0 before the second point), dod = delta - previous
// delta, both modulo 2^64:
//   '0'                       dod == 0
//   '10'   +  4 bits          dod in [-8, 7]            jitter of a few seconds
//   '110'  +  8 bits          dod in [-128, 127]        a second delta, a missed beat at 60 s
//   '1110' + 17 bits          dod in [-65536, 65535]    gaps up to 18 hours
//   '1111' + 64 bits          anything else
// The delta must stay positive and the timestamp must not overflow: a chunk never holds two
// points for one second nor an out-of-order point (the series keeps them sorted and rewrites a
// chunk that receives one).
//
// Encoding 0, XOR values: the first is its IEEE 754 bits; for the others x = bits(v) XOR
// bits(previous v):
//   '0'                       x == 0
//   '10' + the window's bits  x's set bits lie inside the window of the last '11'
//   '11' + 5 bits leading zeros (0..31) + 6 bits (significant bits - 1) + the significant bits,
//        which opens a new window.
// The encoder reuses the window whenever that is no longer than opening a new one.
//
// Encodings 1 to 10, decimal values with s = encoding - 1 digits after the point: each value is
// n / 10^s for an integer n (|n| <= 2^53), the first written as n in 64 bits, the others as the
// step n - previous n (modulo 2^64) in the buckets '0' (no step), '10' + 6 bits, '110' + 13 bits,
// '1110' + 20 bits, '1111' + 6 bits (k - 1) + k bits, k from 1 to 64 (the encoder takes the fewest
// that hold the step in two's complement: 21 to 64). encode_chunk() picks it, with the smallest s,
// when it gives every value back bit for bit (never for -0.0, infinities or NaN).
//
// Encodings 11 to 20, decimal values with s = encoding - 11 digits as the same n, for a counter or
// a clock whose step barely moves: the first n in 64 bits, the others as the change of the step,
// (n - previous n) - previous step (the step taken as 0 before the second point, all modulo 2^64),
// in the buckets '0', '10' + 8 bits, '110' + 14 bits, '1110' + 17 bits, '1111' + 6 bits (k - 1) +
// k bits (18 to 64). encode_chunk() picks it over encoding s + 1 when it takes fewer bits (the
// step encoding when equal): it writes the chunk in the one the first 16 points take fewer bits
// in while it counts the bits of both, and rewrites it only when the guess was wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "beat_server/core/store/bit_stream.hpp"
#include "beat_server/core/store/point.hpp"

namespace beat {

inline constexpr std::size_t kMaxChunkPoints = 65'535;

// Why decoding refused a chunk.
enum class ChunkError : std::uint8_t {
    ok,
    truncated,         // Fewer bytes than the header or the points it announces need.
    not_increasing,    // A timestamp at or before the previous one, or past the int64 range.
    bad_window,        // A value window that does not fit in 64 bits, or reused before any.
    trailing_bytes,    // Bytes or non-zero padding bits after the last point.
    unknown_encoding,  // An encoding byte above 20.
};
inline constexpr std::size_t kChunkErrorCount = 6;
std::string_view to_string(ChunkError e) noexcept;

// Builds a chunk of the XOR encoding point by point; the bytes are a complete chunk after every
// append.
class ChunkEncoder {
  public:
    // An empty chunk, with room for about `expected_points` points.
    explicit ChunkEncoder(std::size_t expected_points = 0);

    // Appends (timestamp, value). Returns false, changing nothing, when the chunk is full or
    // `timestamp` is not after the last point's.
    bool append(std::int64_t timestamp, double value);
    std::size_t count() const noexcept { return count_; }
    std::span<const std::uint8_t> bytes() const noexcept {
        return std::span(bytes_).first((bits_ + 7) / 8);
    }
    // Hands over the bytes, leaving the encoder empty.
    std::vector<std::uint8_t> take();

  private:
    void write_timestamp(std::uint64_t dod);
    void write_value(std::uint64_t x);

    std::vector<std::uint8_t> bytes_;  // The chunk, then zeros: BitWriter's scratch space.
    std::size_t bits_ = 24;
    std::size_t count_ = 0;
    std::int64_t last_ts_ = 0;
    std::uint64_t last_delta_ = 0;
    std::uint64_t last_bits_ = 0;
    unsigned leading_ = 0;  // The value window: leading and trailing zero bits; 64 when none.
    unsigned trailing_ = 64;
};

// Reads a chunk's points in order without copying it, never past its bytes. The bytes must
// outlive the reader.
class ChunkReader {
  public:
    explicit ChunkReader(std::span<const std::uint8_t> bytes) noexcept;
    // A reader of nothing, to assign a real one to.
    ChunkReader() noexcept : in_({}, 0) {}

    // The number of points the header announces (0 when it is truncated or of another encoding).
    std::size_t count() const noexcept { return count_; }
    // The next point into `p`; false at the end or on an error (see error()). After the last
    // point, checks that nothing but zero padding follows it.
    bool next(Point& p) noexcept;
    ChunkError error() const noexcept { return error_; }

  private:
    // The value of the XOR encoding after the first into `bits`; false on an error.
    bool read_xor(std::uint64_t& bits) noexcept;
    bool fail(ChunkError e) noexcept {
        error_ = e;
        read_ = count_;
        return false;
    }

    std::span<const std::uint8_t> bytes_;
    std::size_t count_ = 0;
    std::size_t read_ = 0;
    ChunkError error_ = ChunkError::ok;
    BitReader in_;
    std::int64_t last_ts_ = 0;
    std::uint64_t last_delta_ = 0;
    std::uint64_t last_bits_ = 0;  // The last value's bits, or its integer in the decimal encoding.
    int scale_ = -1;               // Digits after the point in the decimal encoding; -1: XOR.
    bool dod_ = false;             // Decimal values as changes of the step (encodings 11 to 20).
    std::uint64_t last_step_ = 0;  // The last step of a decimal value, 0 before the second point.
    unsigned leading_ = 0;
    unsigned trailing_ = 64;
};

// Appends the points of the chunk `bytes` to `out`. On an error returns it and leaves `out` as it
// was. Bounded: O(bytes), at most kMaxChunkPoints points.
ChunkError decode_chunk(std::span<const std::uint8_t> bytes, std::vector<Point>& out);

// The timestamp of the first point of `bytes`, a chunk of at least one point that decodes.
std::int64_t chunk_first_timestamp(std::span<const std::uint8_t> bytes) noexcept;

// The chunk holding `points` (strictly increasing timestamps, at most kMaxChunkPoints), in a
// decimal encoding when it fits them (the steps' or their changes', whichever is shorter), else
// in the XOR encoding.
std::vector<std::uint8_t> encode_chunk(std::span<const Point> points);
// The same into `out`, replacing what it held and reusing its capacity: a caller that keeps
// `out` from chunk to chunk allocates nothing for the decimal encoding.
void encode_chunk(std::span<const Point> points, std::vector<std::uint8_t>& out);

}  // namespace beat
