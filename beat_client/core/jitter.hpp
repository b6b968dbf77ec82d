// When beats go out: the interval with a little randomness, so that nodes started together (after
// a power cut, by one deploy) drift apart instead of beating in lockstep.
#pragma once

#include <cstdint>

namespace beat {

inline constexpr double kMaxJitter = 0.5;

// A small fast generator (splitmix64); the agent seeds it from getrandom().
class Random {
  public:
    explicit Random(std::uint64_t seed) noexcept : state_(seed) {}
    std::uint64_t next() noexcept;
    // Uniform in [0, 1).
    double unit() noexcept;

  private:
    std::uint64_t state_;
};

// Delay before the first beat: uniform in [0, jitter * interval_ms].
std::int64_t first_beat_delay_ms(std::int64_t interval_ms, double jitter, Random& rng) noexcept;

// Delay between two beats: interval_ms * (1 + u), u uniform in [-jitter, +jitter] (jitter in
// [0, kMaxJitter]); the mean stays the interval, so the server's expectations hold. At least 1.
std::int64_t next_beat_delay_ms(std::int64_t interval_ms, double jitter, Random& rng) noexcept;

}  // namespace beat
