#include "common/line_framer.hpp"

namespace beat {

Frame next_line(std::string_view buf, std::size_t max_line) noexcept {
    // Only the first max_line + 2 bytes can hold the end of an acceptable line ("...\r\n").
    const std::string_view window = buf.substr(0, max_line + 2);
    const std::size_t nl = window.find('\n');
    if (nl == std::string_view::npos) {
        if (buf.size() > max_line + 1) return {Frame::Kind::too_long, {}, 0};
        return {Frame::Kind::need_more, {}, 0};
    }
    std::string_view line = buf.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_line) return {Frame::Kind::too_long, {}, 0};
    return {Frame::Kind::line, line, nl + 1};
}

}  // namespace beat
