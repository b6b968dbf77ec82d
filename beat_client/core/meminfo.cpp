#include "beat_client/core/meminfo.hpp"

#include <algorithm>

#include "beat_client/core/text_fields.hpp"
#include "common/parse_number.hpp"

namespace beat {

namespace {

constexpr std::uint64_t kMaxKib = (std::uint64_t{1} << 54) - 1;

}  // namespace

std::optional<MemInfo> parse_meminfo(std::string_view content) noexcept {
    struct Field {
        std::string_view key;
        std::uint64_t kib = 0;
        bool seen = false;
    };
    enum { kTotal, kFree, kAvailable, kBuffers, kCached, kReclaimable, kSwapTotal, kSwapFree };
    Field fields[] = {{"MemTotal:"}, {"MemFree:"},      {"MemAvailable:"}, {"Buffers:"},
                      {"Cached:"},   {"SReclaimable:"}, {"SwapTotal:"},    {"SwapFree:"}};
    while (!content.empty()) {
        std::string_view line = next_line(content);
        const std::string_view key = next_field(line);
        for (Field& f : fields) {
            if (f.key != key) continue;
            const auto v = parse_u64(next_field(line));
            // A count of kiB beyond 2^54 would wrap when made bytes (and is no real machine).
            if (!v || *v > kMaxKib) return std::nullopt;
            f.kib = *v;
            f.seen = true;
            break;
        }
    }
    if (!fields[kTotal].seen || fields[kTotal].kib == 0) return std::nullopt;
    MemInfo out;
    out.total = fields[kTotal].kib * 1024;
    std::uint64_t available_kib = fields[kAvailable].kib;
    if (!fields[kAvailable].seen) {
        // Each is at most kMaxKib (2^54 - 1), so the sum of four cannot wrap, though its bytes
        // could: it is capped at the total first.
        available_kib = std::min(fields[kFree].kib + fields[kBuffers].kib + fields[kCached].kib +
                                     fields[kReclaimable].kib,
                                 fields[kTotal].kib);
    }
    out.available = std::min(available_kib * 1024, out.total);
    out.swap_total = fields[kSwapTotal].kib * 1024;
    out.swap_free = std::min(fields[kSwapFree].kib * 1024, out.swap_total);
    return out;
}

double mem_used_pct(const MemInfo& m) noexcept {
    if (m.total == 0) return 0;
    return 100.0 * static_cast<double>(m.total - m.available) / static_cast<double>(m.total);
}

std::optional<double> swap_used_pct(const MemInfo& m) noexcept {
    if (m.swap_total == 0) return std::nullopt;
    return 100.0 * static_cast<double>(m.swap_total - m.swap_free) /
           static_cast<double>(m.swap_total);
}

}  // namespace beat
