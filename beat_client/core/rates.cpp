#include "beat_client/core/rates.hpp"

#include <algorithm>

namespace beat {

std::optional<double> cpu_busy_pct(const CpuTimes& before, const CpuTimes& after) noexcept {
    const std::uint64_t t0 = before.total(), t1 = after.total();
    if (t1 <= t0) return std::nullopt;
    const double total = static_cast<double>(t1 - t0);
    // iowait is known to go backwards on some kernels, so the idle delta is clamped, not trusted.
    const double idle =
        static_cast<double>(after.idle_all()) - static_cast<double>(before.idle_all());
    return std::clamp(100.0 * (total - std::clamp(idle, 0.0, total)) / total, 0.0, 100.0);
}

std::optional<double> counter_rate(std::uint64_t before, std::uint64_t after,
                                   std::int64_t elapsed_ms) noexcept {
    if (elapsed_ms <= 0 || after < before) return std::nullopt;
    return static_cast<double>(after - before) * 1000.0 / static_cast<double>(elapsed_ms);
}

}  // namespace beat
