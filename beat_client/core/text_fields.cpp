#include "beat_client/core/text_fields.hpp"

#include <charconv>

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

std::optional<std::uint64_t> parse_u64(std::string_view field) noexcept {
    if (field.empty() || field.front() < '0' || field.front() > '9') return std::nullopt;
    std::uint64_t v = 0;
    const char* end = field.data() + field.size();
    const auto [ptr, ec] = std::from_chars(field.data(), end, v);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    return v;
}

}  // namespace beat
