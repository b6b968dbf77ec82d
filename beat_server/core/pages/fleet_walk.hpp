// The walk over the registry that takes a streamed page's list of hosts: a bounded number of
// registry indexes per call, so that copying 100,000 hosts' names into the page's HostOrder is
// spread over slices instead of holding the loop for a whole walk. Pure.
//
// The hosts copied are those present when the walk began that are still present when it reaches
// their index. A host added meanwhile is not copied, even when it takes the index or the name of a
// removed one (its serial is too recent), so no name is copied twice; a host removed before the
// walk reaches it is not copied. Copying reads only records present at that moment.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "beat_server/core/ingest/registry.hpp"
#include "beat_server/core/pages/host_order.hpp"

namespace beat {

// Indexes a streamed page's walk visits per slice: about a millisecond of copying names.
inline constexpr std::size_t kFleetWalkStep = 16'384;
// Comparisons of the host order's sort per slice: about a millisecond.
inline constexpr std::size_t kFleetSortStep = 1 << 16;
// Hosts a streamed page looks up per slice at most, listed or found gone.
inline constexpr std::size_t kFleetHostsPerSlice = 4096;

class FleetWalk {
  public:
    explicit FleetWalk(const Registry& registry) noexcept
        : serial_limit_(registry.added()), end_(registry.index_end()) {}

    // Copies into `order` the names of the hosts at the next `step` indexes (at least one), each
    // sorting first when `first(record)` says so; returns true once every index is visited.
    template <typename First>
    bool copy(const Registry& registry, HostOrder& order, std::size_t step, First first) {
        if (next_ == end_) return true;
        const std::uint32_t stop =
            next_ + static_cast<std::uint32_t>(std::clamp<std::size_t>(step, 1, end_ - next_));
        for (; next_ < stop; ++next_) {
            const HostRecord* h = registry.at_index(next_);
            if (h != nullptr && h->serial < serial_limit_) order.add(h->name, first(*h));
        }
        return next_ == end_;
    }

    // One bounded step towards a streamed page's list of hosts in `order`: a copy() of
    // kFleetWalkStep indexes until the walk is done, then kFleetSortStep comparisons of the sort;
    // returns true once `order` is sorted.
    template <typename First>
    bool step(const Registry& registry, HostOrder& order, First first) {
        if (!walked_) {
            walked_ = copy(registry, order, kFleetWalkStep, first);
            return false;
        }
        return order.sort(kFleetSortStep);
    }

  private:
    std::uint64_t serial_limit_;  // Hosts with this serial or a later one came after the start.
    std::uint32_t end_;           // Every host present at the start has an index below it.
    std::uint32_t next_ = 0;
    bool walked_ = false;
};

}  // namespace beat
