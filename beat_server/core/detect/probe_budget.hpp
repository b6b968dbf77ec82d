// The server-wide budget of probes per second: a token bucket holding at most one second's
// worth. O(1), time is a parameter.
#pragma once

#include <algorithm>
#include <cstdint>

namespace beat {

class ProbeBudget {
  public:
    explicit ProbeBudget(double per_s) noexcept : per_s_(per_s), tokens_(per_s) {}

    // Takes one probe's token at `now_ms` if there is one.
    bool take(std::int64_t now_ms) noexcept {
        if (now_ms > last_ms_) {
            tokens_ = std::min(per_s_,
                               tokens_ + per_s_ * static_cast<double>(now_ms - last_ms_) / 1000.0);
            last_ms_ = now_ms;
        }
        if (tokens_ < 1) {
            ++refused_;
            return false;
        }
        tokens_ -= 1;
        return true;
    }

    double per_s() const noexcept { return per_s_; }
    std::uint64_t refused() const noexcept { return refused_; }  // Probes not sent, in all.

  private:
    double per_s_;
    double tokens_;
    std::int64_t last_ms_ = 0;
    std::uint64_t refused_ = 0;
};

}  // namespace beat
