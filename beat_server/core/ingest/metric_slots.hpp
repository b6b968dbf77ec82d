// A host's metric slots: the latest value of each metric its agent sends, found by name in O(1).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "beat_server/core/store/store.hpp"

namespace beat {

// A host's latest value of one metric, and the series that keeps its history (pinned by this
// slot; nullptr when the store refused the key for its key limit).
struct HostMetric {
    std::string name;
    double value = 0;
    Series* series = nullptr;
    std::int64_t last_carried_ms = 0;  // When a beat last carried it (the monitor's clock).
};

// The slots in the order first received, with an open-addressing index of their names (linear
// probing over a power-of-two table at most half full), so that a lookup costs one hash and a
// probe or two however many slots there are. Agents send their metrics in the same order every
// beat, so find() tries the slot after the previous match first and hashes only on a miss.
class MetricSlots {
  public:
    using const_iterator = std::vector<HostMetric>::const_iterator;

    // The slot named `name`, or nullptr. `hint` is where to look first (0 for a new datagram);
    // on a match it becomes the index after the slot found.
    HostMetric* find(std::string_view name, std::size_t& hint) noexcept;
    // Adds the slot for `name` (which must not have one), carried at `now_ms`, last in order.
    // Amortised O(1); the index is rebuilt, O(slots), when it grows.
    HostMetric& add(std::string_view name, double value, Series* series, std::int64_t now_ms);

    // Removes every slot last carried `max_age_ms` or more before `now_ms`, keeping the order of
    // the others, and calls `released(const HostMetric&)` on each before it goes. O(1) until some
    // slot may be that old (the oldest time a slot was carried is kept as a lower bound), then
    // O(slots). Slots' last_carried_ms may only move forward between calls.
    template <typename F>
    std::size_t release_older(std::int64_t now_ms, std::int64_t max_age_ms, F&& released);

    std::size_t size() const noexcept { return slots_.size(); }
    bool empty() const noexcept { return slots_.empty(); }
    const HostMetric& operator[](std::size_t i) const noexcept { return slots_[i]; }
    const HostMetric& at(std::size_t i) const { return slots_.at(i); }
    const_iterator begin() const noexcept { return slots_.begin(); }
    const_iterator end() const noexcept { return slots_.end(); }

  private:
    // Fills the index from slots_, with room for at least twice as many names.
    void rebuild();
    // Enters slot `i` in the index, which has a free cell.
    void place(std::size_t i) noexcept;
    std::size_t home(std::string_view name) const noexcept;

    std::vector<HostMetric> slots_;
    // Slot index + 1 by name; 0 is an empty cell. Its size is 0 or a power of two.
    std::vector<std::uint32_t> index_;
    // No slot was last carried before this.
    std::int64_t oldest_carried_ms_ = std::numeric_limits<std::int64_t>::max();
};

template <typename F>
std::size_t MetricSlots::release_older(std::int64_t now_ms, std::int64_t max_age_ms, F&& released) {
    if (slots_.empty() || now_ms - oldest_carried_ms_ < max_age_ms) return 0;
    std::size_t kept = 0;
    std::int64_t oldest = std::numeric_limits<std::int64_t>::max();
    for (HostMetric& slot : slots_) {
        if (now_ms - slot.last_carried_ms >= max_age_ms) {
            released(static_cast<const HostMetric&>(slot));
            continue;
        }
        oldest = std::min(oldest, slot.last_carried_ms);
        if (&slots_[kept] != &slot) slots_[kept] = std::move(slot);
        ++kept;
    }
    oldest_carried_ms_ = oldest;
    const std::size_t removed = slots_.size() - kept;
    if (removed != 0) {
        slots_.resize(kept);
        rebuild();
    }
    return removed;
}

}  // namespace beat
