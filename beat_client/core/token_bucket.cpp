#include "beat_client/core/token_bucket.hpp"

#include <algorithm>

namespace beat {

bool TokenBucket::take(std::int64_t now_ms) noexcept {
    if (started_ && now_ms > last_ms_) {
        tokens_ = std::min(burst_, tokens_ + static_cast<double>(now_ms - last_ms_) * per_ms_);
    }
    if (!started_ || now_ms > last_ms_) last_ms_ = now_ms;
    started_ = true;
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
}

}  // namespace beat
