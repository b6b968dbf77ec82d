#include "common/line_framer.hpp"

#include <algorithm>

namespace beat {

Frame next_line(std::string_view buf, std::size_t max_line) noexcept {
    // Only the first max_line + 2 bytes can hold the end of an acceptable line ("...\r\n").
    const std::string_view window = buf.substr(0, std::min(buf.size(), max_line) + 2);
    const std::size_t nl = window.find('\n');
    if (nl == std::string_view::npos) {
        // max_line + 1 bytes can still become a line only when the last one is the '\r' of "\r\n".
        const bool can_end =
            buf.size() <= max_line || (buf.size() == max_line + 1 && buf.back() == '\r');
        return {can_end ? Frame::Kind::need_more : Frame::Kind::too_long, {}, 0};
    }
    std::string_view line = buf.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_line) return {Frame::Kind::too_long, {}, 0};
    return {Frame::Kind::line, line, nl + 1};
}

}  // namespace beat
