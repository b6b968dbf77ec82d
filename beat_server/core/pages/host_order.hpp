// The order in which a streamed page lists the fleet: the hosts' names copied (fleet_walk.hpp) and
// sorted a bounded step at a time, so that listing 100,000 hosts never holds the loop for the
// whole sort. Pure.
//
// It holds copies of the names, never pointers into the registry: the registry may change freely
// between steps, and a page looks each host up by name when it reaches it (a host removed by then
// is not found, and nothing reads its freed record). Each name is listed once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace beat {

class HostOrder {
  public:
    // Adds a host: hosts added with `first` set sort before the others, each group by name (byte
    // order). Names must differ (the registry's keys do). Only before the first sort() call.
    void add(std::string_view name, bool first = false);
    // Makes room for `hosts` names (a hint).
    void reserve(std::size_t hosts);

    // Sorts for about `budget` comparisons (at least one step, however small `budget`); returns
    // true once the order is complete. O(n log n) in all, over as many calls as it takes.
    bool sort(std::size_t budget);
    bool sorted() const noexcept { return sorted_; }

    std::size_t size() const noexcept { return entries_.size(); }
    // The `i`th name in order; `i` < size(), once sorted().
    std::string_view name(std::size_t i) const noexcept { return name_of(entries_[i]); }

  private:
    struct Entry {
        std::size_t offset;  // In names_.
        std::uint32_t length;
        bool first;
    };
    // Runs of this many entries are sorted whole, then merged pairwise.
    static constexpr std::size_t kRun = 1024;

    std::string_view name_of(const Entry& e) const noexcept {
        return {names_.data() + e.offset, e.length};
    }
    bool less(const Entry& a, const Entry& b) const noexcept;
    // One step of the sort, within `budget` comparisons; returns what it used.
    std::size_t step(std::size_t budget);

    std::string names_;  // Every name, one after the other.
    std::vector<Entry> entries_;
    std::vector<Entry> merged_;  // The merge pass under way writes here.
    std::size_t runs_done_ = 0;  // Entries before this index are in sorted runs of kRun.
    std::size_t width_ = kRun;   // The merge pass joins runs of this many entries.
    std::size_t lo_ = 0;         // Where the pair of runs being merged starts.
    std::size_t left_ = 0, right_ = 0, to_ = 0;  // The merge's positions: both runs, and merged_.
    bool merging_ = false;                       // A pair's merge is under way.
    bool sorted_ = false;
};

}  // namespace beat
