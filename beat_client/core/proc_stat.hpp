// /proc/stat: CPU time since boot, interrupts and context switches.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace beat {

// Time all CPUs together spent in each state since boot, in USER_HZ ticks. Guest time is already
// part of user and nice, so it is not kept apart.
struct CpuTimes {
    std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0,
                  steal = 0;

    std::uint64_t total() const noexcept {
        return user + nice + system + idle + iowait + irq + softirq + steal;
    }
    // Time in which a CPU had nothing to run, waiting for I/O included.
    std::uint64_t idle_all() const noexcept { return idle + iowait; }
};

struct ProcStat {
    CpuTimes cpu;                        // The aggregate "cpu" line.
    std::uint32_t cpu_count = 0;         // "cpuN" lines.
    std::uint64_t interrupts = 0;        // First number of the "intr" line: all interrupts.
    std::uint64_t context_switches = 0;  // The "ctxt" line.
};

// Parses the content of /proc/stat. Returns nullopt when the aggregate "cpu" line, "intr" or "ctxt"
// is missing or malformed. Older kernels' shorter cpu lines (no steal) are accepted.
std::optional<ProcStat> parse_proc_stat(std::string_view content) noexcept;

}  // namespace beat
