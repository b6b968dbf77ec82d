// How long to wait before the next attempt after failures: doubling from `first_ms` up to
// `max_ms`, back to `first_ms` after a success. Pure: the caller sleeps.
#pragma once

#include <cstdint>

namespace beat {

class Backoff {
  public:
    Backoff(std::int64_t first_ms, std::int64_t max_ms) noexcept
        : first_ms_(first_ms), max_ms_(max_ms), next_ms_(first_ms) {}

    // The pause before the next attempt after one more failure.
    std::int64_t failed() noexcept {
        const std::int64_t pause = next_ms_;
        next_ms_ = next_ms_ >= max_ms_ / 2 ? max_ms_ : next_ms_ * 2;
        return pause;
    }
    void succeeded() noexcept { next_ms_ = first_ms_; }

  private:
    std::int64_t first_ms_;
    std::int64_t max_ms_;
    std::int64_t next_ms_;
};

}  // namespace beat
