#include "beat_client/core/text_fields.hpp"

namespace beat {

std::string_view next_line(std::string_view& rest) noexcept {
    const std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    return line;
}

std::string_view next_field(std::string_view& rest) noexcept {
    std::size_t start = 0;
    while (start < rest.size() && (rest[start] == ' ' || rest[start] == '\t'))
        ++start;
    std::size_t end = start;
    while (end < rest.size() && rest[end] != ' ' && rest[end] != '\t')
        ++end;
    std::string_view field = rest.substr(start, end - start);
    rest.remove_prefix(end);
    return field;
}

}  // namespace beat
