#include "common/rate_limiter.hpp"

namespace beat {

RateLimiter::RateLimiter(std::int64_t window_ms, std::size_t max_keys)
    : window_ms_(window_ms), max_keys_(max_keys) {}

RateLimiter::Entry& RateLimiter::slot(std::string_view key, std::int64_t now_ms, bool& fresh) {
    fresh = false;
    std::string k(key);
    if (auto it = entries_.find(k); it != entries_.end()) return it->second;
    if (entries_.size() >= max_keys_) {
        std::erase_if(entries_,
                      [&](const auto& kv) { return now_ms - kv.second.last_ms >= window_ms_; });
    }
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
    bool fresh = false;
    Entry& e = slot(key, 0, fresh);
    const std::uint64_t n = e.suppressed;
    e.suppressed = 0;
    return n;
}

}  // namespace beat
