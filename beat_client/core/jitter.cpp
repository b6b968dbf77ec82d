#include "beat_client/core/jitter.hpp"

#include <algorithm>
#include <cmath>

namespace beat {

std::uint64_t Random::next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double Random::unit() noexcept {
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

std::int64_t first_beat_delay_ms(std::int64_t interval_ms, double jitter, Random& rng) noexcept {
    jitter = std::clamp(jitter, 0.0, kMaxJitter);
    return std::llround(static_cast<double>(interval_ms) * jitter * rng.unit());
}

std::int64_t next_beat_delay_ms(std::int64_t interval_ms, double jitter, Random& rng) noexcept {
    jitter = std::clamp(jitter, 0.0, kMaxJitter);
    const double u = (2 * rng.unit() - 1) * jitter;
    return std::max<std::int64_t>(1, std::llround(static_cast<double>(interval_ms) * (1 + u)));
}

}  // namespace beat
