// /proc/self/statm: the agent's own memory.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace beat {

// Parses the content of /proc/<pid>/statm ("765 399 371 5 0 123 0", in pages) and returns the
// resident set size in bytes, given the page size; nullopt when the second field is missing or
// malformed.
std::optional<std::uint64_t> parse_statm_rss(std::string_view content,
                                             std::uint64_t page_size) noexcept;

}  // namespace beat
