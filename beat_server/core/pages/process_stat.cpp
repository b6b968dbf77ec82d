#include "beat_server/core/pages/process_stat.hpp"

#include <array>
#include <cstddef>

#include "common/parse_number.hpp"

namespace beat {
namespace {

// Fields 3 to 24 follow the command name; they are the ones numbered here from field 3.
constexpr std::size_t kFirstField = 3;
constexpr std::size_t kLastField = 24;

}  // namespace

std::optional<ProcessStat> parse_process_stat(std::string_view text) noexcept {
    const std::size_t open = text.find(" (");
    const std::size_t close = text.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open + 2 ||
        !parse_u64(text.substr(0, open))) {
        return std::nullopt;
    }
    std::string_view rest = text.substr(close + 1);
    if (!rest.starts_with(' ')) return std::nullopt;
    rest.remove_prefix(1);
    // Linux writes some 50 fields: a line that ends at rss (or inside it) was cut short.
    std::array<std::string_view, kLastField + 1> field{};
    for (std::size_t i = kFirstField; i <= kLastField; ++i) {
        const std::size_t end = rest.find(' ');
        if (end == std::string_view::npos) return std::nullopt;
        field[i] = rest.substr(0, end);
        rest.remove_prefix(end + 1);
    }
    const auto utime = parse_u64(field[14]);
    const auto stime = parse_u64(field[15]);
    const auto start = parse_u64(field[22]);
    const auto vsize = parse_u64(field[23]);
    const auto rss = parse_u64(field[24]);
    if (!utime || !stime || !start || !vsize || !rss || *utime + *stime < *utime) {
        return std::nullopt;
    }
    return ProcessStat{*utime + *stime, *start, *vsize, *rss};
}

std::optional<std::int64_t> parse_boot_time(std::string_view proc_stat) noexcept {
    constexpr std::string_view kKey = "btime ";
    while (!proc_stat.empty()) {
        const std::size_t end = proc_stat.find('\n');
        const std::string_view line = proc_stat.substr(0, end);
        proc_stat.remove_prefix(end == std::string_view::npos ? proc_stat.size() : end + 1);
        if (line.starts_with(kKey)) return parse_i64(line.substr(kKey.size()), PlusSign::refused);
    }
    return std::nullopt;
}

}  // namespace beat
