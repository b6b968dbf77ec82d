// Rates from two samples of counters that only grow. Time is passed in by the caller.
#pragma once

#include <cstdint>
#include <optional>

#include "beat_client/core/proc_stat.hpp"

namespace beat {

// Percent of CPU time, over all CPUs, that was not idle (idle and iowait count as idle) between
// two /proc/stat samples, 0..100. Returns nullopt when no tick passed or the total went backwards
// (a CPU taken offline).
std::optional<double> cpu_busy_pct(const CpuTimes& before, const CpuTimes& after) noexcept;

// Per-second rate of a counter that went from `before` to `after` in `elapsed_ms` milliseconds.
// Returns nullopt when no time passed or the counter went backwards (an interface reset, or a
// driver's 32-bit counter wrapping), so that a reset never shows as a huge spike.
std::optional<double> counter_rate(std::uint64_t before, std::uint64_t after,
                                   std::int64_t elapsed_ms) noexcept;

}  // namespace beat
