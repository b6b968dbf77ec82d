// A token bucket: at most `burst` events at once and `per_second` on average. Pure: the time is
// passed in.
#pragma once

#include <cstdint>

namespace beat {

class TokenBucket {
  public:
    // A bucket that starts full. `per_second` > 0, `burst` >= 1.
    TokenBucket(double per_second, double burst) noexcept
        : per_ms_(per_second / 1000), burst_(burst), tokens_(burst) {}

    // Takes a token at monotonic time `now_ms` and returns true, or returns false when the bucket
    // is empty. Time that goes backwards adds nothing.
    bool take(std::int64_t now_ms) noexcept;

  private:
    double per_ms_;
    double burst_;
    double tokens_;
    std::int64_t last_ms_ = 0;
    bool started_ = false;
};

}  // namespace beat
