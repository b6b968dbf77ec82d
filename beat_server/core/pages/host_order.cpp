#include "beat_server/core/pages/host_order.hpp"

#include <algorithm>

namespace beat {

void HostOrder::add(std::string_view name, bool first) {
    entries_.push_back({names_.size(), static_cast<std::uint32_t>(name.size()), first});
    names_.append(name);
}

void HostOrder::reserve(std::size_t hosts) {
    entries_.reserve(hosts);
    // Most host names are FQDNs of a few dozen bytes.
    names_.reserve(hosts * 32);
}

bool HostOrder::less(const Entry& a, const Entry& b) const noexcept {
    if (a.first != b.first) return a.first;
    return name_of(a) < name_of(b);
}

bool HostOrder::sort(std::size_t budget) {
    std::size_t used = 0;
    do {
        used += step(budget - std::min(used, budget));
    } while (!sorted_ && used < budget);
    return sorted_;
}

std::size_t HostOrder::step(std::size_t budget) {
    const std::size_t n = entries_.size();
    const auto less = [this](const Entry& a, const Entry& b) { return this->less(a, b); };
    if (runs_done_ < n) {
        // A run costs about kRun x 10 comparisons.
        const std::size_t end = std::min(runs_done_ + kRun, n);
        std::sort(entries_.begin() + static_cast<std::ptrdiff_t>(runs_done_),
                  entries_.begin() + static_cast<std::ptrdiff_t>(end), less);
        const std::size_t cost = (end - runs_done_) * 10;
        runs_done_ = end;
        return cost;
    }
    if (width_ >= n) {
        sorted_ = true;
        std::vector<Entry>().swap(merged_);
        return 0;
    }
    const std::size_t mid = std::min(lo_ + width_, n);
    const std::size_t hi = std::min(lo_ + 2 * width_, n);
    if (!merging_) {
        merged_.resize(n);
        left_ = lo_;
        right_ = mid;
        to_ = lo_;
        merging_ = true;
    }
    const std::size_t stop = std::min(hi, to_ + std::max<std::size_t>(budget, 1));
    const std::size_t start = to_;
    while (to_ < stop) {
        if (right_ >= hi || (left_ < mid && !less(entries_[right_], entries_[left_]))) {
            merged_[to_++] = entries_[left_++];
        } else {
            merged_[to_++] = entries_[right_++];
        }
    }
    if (to_ == hi) {
        merging_ = false;
        lo_ = hi;
        if (lo_ >= n) {
            // The pass is over: its output is the input of the next, with runs twice as long.
            entries_.swap(merged_);
            width_ *= 2;
            lo_ = 0;
        }
    }
    return to_ - start;
}

}  // namespace beat
