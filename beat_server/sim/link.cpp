#include "beat_server/sim/link.hpp"

#include <cmath>

namespace beat::sim {

double exponential(Random& rng, double mean) {
    return -mean * std::log1p(-rng.unit());
}

std::optional<std::int64_t> LinkChain::carry(const LinkModel& l, Random& rng) {
    if (!bad_ && l.burst_start > 0 && rng.unit() < l.burst_start) bad_ = true;
    const bool lost = rng.unit() < (bad_ ? l.burst_loss : l.loss);
    if (bad_ && rng.unit() < 1 / l.burst_mean_packets) bad_ = false;
    if (lost) return std::nullopt;
    return l.delay_ms + std::llround(exponential(rng, l.delay_jitter_mean_ms));
}

}  // namespace beat::sim
