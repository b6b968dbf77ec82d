// The binary metric frame that metric collectors already send over TCP (docs/binary_frame.md):
//
//     timestamp  uint64 big-endian, microseconds since 1970
//     name_len   uint8
//     name       name_len bytes of UTF-8
//     value      float64 big-endian (IEEE 754)
//
// Frames follow each other on a stream with nothing between them and no reply; a read may end
// anywhere inside one. The decoder takes the stream in whatever pieces it arrives, never holds
// more than one frame's bytes and never allocates.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace beat {

inline constexpr std::size_t kFrameHead = 9;                 // The timestamp and name_len.
inline constexpr std::size_t kFrameFixed = kFrameHead + 8;   // Every byte but the name's.
inline constexpr std::size_t kMaxFrame = kFrameFixed + 255;  // 272: a 255-byte name.
inline constexpr std::uint64_t kMicrosPerSecond = 1'000'000;

// Why a frame cannot be stored. The format has no length to resynchronise on, so a stream that
// carries one cannot be read any further.
enum class FrameError : std::uint8_t {
    none = 0,
    empty_name,        // name_len is 0.
    name_not_utf8,     // The name is not well-formed UTF-8.
    bad_name,          // The name holds a space or a control character, or is "*": not a key
                       // that put/get accepts.
    non_finite_value,  // The value is NaN or infinite.
    timestamp_range,   // The timestamp's second is after 9999-12-31T23:59:59Z, put/get's limit.
};
inline constexpr std::size_t kFrameErrorCount = 6;

// A stable lower-case name for each reason ("empty_name", ...), for logs and stats.
std::string_view to_string(FrameError e) noexcept;

struct MetricFrame {
    std::uint64_t timestamp_us = 0;
    std::string_view name;  // Valid until the decoder is next called (see FrameDecoder::next).
    double value = 0;

    // The second the frame is stored at: its timestamp rounded down.
    std::int64_t second() const noexcept {
        return static_cast<std::int64_t>(timestamp_us / kMicrosPerSecond);
    }
};

// Appends the frame of `name` (1 to 255 bytes) at `timestamp_us` with `value` to `out`: the
// bytes as a collector sends them, for clients, tests and benchmarks. Nothing is checked beyond
// the name's length (throws std::invalid_argument), so malformed frames can be written too.
void encode_frame(std::uint64_t timestamp_us, std::string_view name, double value,
                  std::string& out);

// Decodes one stream of frames, fed in chunks as they are read.
class FrameDecoder {
  public:
    enum class Step : std::uint8_t {
        frame,      // frame() holds the next frame.
        need_more,  // The chunk ended inside a frame: its bytes so far are kept (at most
                    // kMaxFrame - 1 of them).
        error,      // error() says why; the stream cannot be read further, and every later call
                    // returns error again without consuming anything.
    };

    // Takes bytes from the front of `chunk`, removing what it consumed, up to the end of the next
    // frame. A frame wholly inside `chunk` is decoded in place, its name a view into `chunk`; one
    // that began in an earlier chunk is completed in the decoder's own buffer. Either way the
    // frame (and its name) stays valid until the next call, as long as `chunk`'s bytes do.
    // The frames, and the error if any, do not depend on how the stream was cut into chunks.
    Step next(std::string_view& chunk) noexcept;

    const MetricFrame& frame() const noexcept { return frame_; }
    FrameError error() const noexcept { return error_; }
    // Bytes of an incomplete frame held from earlier chunks.
    std::size_t buffered() const noexcept { return held_; }

  private:
    // Moves bytes from the front of `chunk` into the buffer until it holds `upto`, or `chunk` is
    // used up.
    void hold(std::size_t upto, std::string_view& chunk) noexcept;

    std::array<char, kMaxFrame> buffer_{};
    std::size_t held_ = 0;
    MetricFrame frame_;
    FrameError error_ = FrameError::none;
};

}  // namespace beat
