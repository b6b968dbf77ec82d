#include "beat_server/core/detect/flap_damper.hpp"

#include <algorithm>
#include <cmath>

namespace beat {

FlapDamper::Verdict FlapDamper::silent(std::int64_t now_ms, std::int64_t timeout_ms,
                                       const FlapSettings& s) noexcept {
    if (s.silences == 0) return Verdict::report;
    const auto timeouts = [&](double n) {
        return static_cast<std::int64_t>(std::llround(n * static_cast<double>(timeout_ms)));
    };
    settle_after_ms_ = timeouts(s.settle_timeouts);
    settle_at_ms_ = now_ms + settle_after_ms_;
    if (flapping_) return Verdict::quiet;

    const std::uint32_t keep = std::min(s.silences, FlapSettings::kMaxSilences);
    if (count_ == keep) {
        std::copy(recent_.begin() + 1, recent_.begin() + count_, recent_.begin());
        --count_;
    }
    recent_[count_++] = now_ms;
    if (count_ == keep && now_ms - recent_[0] <= timeouts(s.span_timeouts)) {
        flapping_ = true;
        return Verdict::flapping;
    }
    return Verdict::report;
}

FlapDamper::Verdict FlapDamper::back(std::int64_t now_ms) noexcept {
    if (!flapping_) return Verdict::report;
    settle_at_ms_ = now_ms + settle_after_ms_;
    return Verdict::quiet;
}

void FlapDamper::settle() noexcept {
    flapping_ = false;
    count_ = 0;
}

}  // namespace beat
