#include "beat_client/core/statm.hpp"

#include "beat_client/core/text_fields.hpp"
#include "common/parse_number.hpp"

namespace beat {

std::optional<std::uint64_t> parse_statm_rss(std::string_view content,
                                             std::uint64_t page_size) noexcept {
    if (!parse_u64(next_field(content))) return std::nullopt;
    std::string_view line = next_line(content);
    const auto pages = parse_u64(next_field(line));
    if (!pages) return std::nullopt;
    return *pages * page_size;
}

}  // namespace beat
