// "At most once per window per key", for log lines about bad input from many sources.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>

namespace beat {

class RateLimiter {
  public:
    // Allows one event per `window_ms` for each key, remembering at most `max_keys` keys; when the
    // table is full, entries older than the window are dropped, and if none is, new keys share
    // one overflow slot (so memory stays bounded under a flood of distinct sources). Looking for
    // old entries costs one pass over the table, at most once per window while nothing can have
    // grown old, so a flood of new keys costs O(1) per event.
    RateLimiter(std::int64_t window_ms, std::size_t max_keys = 10'000);

    // True when an event for `key` at time `now_ms` should be reported. Counts the events that
    // were held back; `take_suppressed(key)` tells how many since the last allowed one.
    bool allow(std::string_view key, std::int64_t now_ms);

    // The events held back for `key` since it was last allowed, resetting the count. A key not in
    // the table (as one that allow() placed in the shared overflow slot) gets the overflow slot's
    // count, or 0 before the table first overflowed. Does not add `key` to the table.
    std::uint64_t take_suppressed(std::string_view key);

  private:
    struct Entry {
        std::int64_t last_ms;
        std::uint64_t suppressed;
    };
    Entry& slot(std::string_view key, std::int64_t now_ms, bool& fresh);
    void drop_old_entries(std::int64_t now_ms);

    std::int64_t window_ms_;
    std::size_t max_keys_;
    std::unordered_map<std::string, Entry> entries_;
    // No entry can be older than the window before this time, so sweeping earlier finds nothing.
    std::int64_t next_sweep_ms_ = std::numeric_limits<std::int64_t>::min();
    Entry overflow_{0, 0};
    bool overflow_used_ = false;
};

}  // namespace beat
