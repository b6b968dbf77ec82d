#include "common/rate_limiter.hpp"

#include <algorithm>
#include <utility>

namespace beat {

RateLimiter::RateLimiter(std::int64_t window_ms, std::size_t max_keys)
    : window_ms_(std::max<std::int64_t>(window_ms, 0)), max_keys_(max_keys) {}

void RateLimiter::drop_old_entries(std::int64_t now_ms) {
    if (now_ms < next_sweep_ms_) return;
    // Entries added from now on are no older than now_ms.
    std::int64_t oldest = now_ms;
    std::erase_if(entries_, [&](const auto& kv) {
        if (now_ms - kv.second.last_ms >= window_ms_) return true;
        oldest = std::min(oldest, kv.second.last_ms);
        return false;
    });
    // Entries only get newer, so none turns old before the oldest one does.
    next_sweep_ms_ = oldest > std::numeric_limits<std::int64_t>::max() - window_ms_
                         ? std::numeric_limits<std::int64_t>::max()
                         : oldest + window_ms_;
}

RateLimiter::Entry& RateLimiter::slot(std::string_view key, std::int64_t now_ms, bool& fresh) {
    fresh = false;
    std::string k(key);
    if (auto it = entries_.find(k); it != entries_.end()) return it->second;
    if (entries_.size() >= max_keys_) drop_old_entries(now_ms);
    if (entries_.size() >= max_keys_) {
        fresh = !overflow_used_;
        overflow_used_ = true;
        return overflow_;
    }
    fresh = true;
    return entries_.emplace(std::move(k), Entry{0, 0}).first->second;
}

bool RateLimiter::allow(std::string_view key, std::int64_t now_ms) {
    bool fresh = false;
    Entry& e = slot(key, now_ms, fresh);
    if (fresh || now_ms - e.last_ms >= window_ms_) {
        e.last_ms = now_ms;
        return true;
    }
    ++e.suppressed;
    return false;
}

std::uint64_t RateLimiter::take_suppressed(std::string_view key) {
    if (auto it = entries_.find(std::string(key)); it != entries_.end()) {
        return std::exchange(it->second.suppressed, 0);
    }
    return overflow_used_ ? std::exchange(overflow_.suppressed, 0) : 0;
}

}  // namespace beat
