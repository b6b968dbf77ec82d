// Splits a byte stream into '\n'-terminated lines with a cap on the line length.
#pragma once

#include <cstddef>
#include <string_view>

namespace beat {

inline constexpr std::size_t kMaxLineLength = 64 * 1024;  // Bytes, without the '\n'.

struct Frame {
    enum class Kind { line, need_more, too_long };
    Kind kind;
    std::string_view line;  // With kind == line: the line without '\n' (and without a final '\r').
    std::size_t consumed;   // With kind == line: bytes to drop from the front of the buffer.
};

// Looks for the first complete line in `buf`. Returns `line` with the line and how many bytes it
// took; `need_more` when no '\n' is in `buf` and it is still within `max_line` bytes; `too_long`
// when the first line is, or is bound to become, longer than `max_line` bytes. Pure; `line` points
// into `buf`.
Frame next_line(std::string_view buf, std::size_t max_line = kMaxLineLength) noexcept;

}  // namespace beat
