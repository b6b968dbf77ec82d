#include "beat_client/core/proc_stat.hpp"

#include "beat_client/core/text_fields.hpp"
#include "common/parse_number.hpp"

namespace beat {
namespace {

// Reads the tick counts after "cpu": at least user, nice, system and idle must be there.
bool parse_cpu_times(std::string_view rest, CpuTimes& out) noexcept {
    std::uint64_t* const slots[] = {&out.user,   &out.nice, &out.system,  &out.idle,
                                    &out.iowait, &out.irq,  &out.softirq, &out.steal};
    std::size_t n = 0;
    for (std::uint64_t* slot : slots) {
        const std::string_view field = next_field(rest);
        if (field.empty()) break;
        const auto v = parse_u64(field);
        if (!v) return false;
        *slot = *v;
        ++n;
    }
    return n >= 4;
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view content) noexcept {
    ProcStat out;
    bool have_cpu = false, have_intr = false, have_ctxt = false;
    while (!content.empty()) {
        std::string_view line = next_line(content);
        const std::string_view key = next_field(line);
        if (key == "cpu") {
            if (!parse_cpu_times(line, out.cpu)) return std::nullopt;
            have_cpu = true;
        } else if (key.starts_with("cpu")) {
            ++out.cpu_count;
        } else if (key == "intr" || key == "ctxt") {
            const auto v = parse_u64(next_field(line));
            if (!v) return std::nullopt;
            (key == "intr" ? out.interrupts : out.context_switches) = *v;
            (key == "intr" ? have_intr : have_ctxt) = true;
        }
    }
    if (!have_cpu || !have_intr || !have_ctxt) return std::nullopt;
    return out;
}

}  // namespace beat
