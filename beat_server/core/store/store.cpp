#include "beat_server/core/store/store.hpp"

#include <algorithm>
#include <limits>

namespace beat {
namespace {

constexpr std::size_t kDropFraction = 16;

}  // namespace

bool Series::put(std::int64_t timestamp, double value) {
    if (points_.empty() || points_.back().timestamp < timestamp) {
        points_.push_back({timestamp, value});
        return true;
    }
    if (points_.back().timestamp == timestamp) {
        points_.back().value = value;
        return false;
    }
    auto it = std::lower_bound(points_.begin(), points_.end(), timestamp,
                               [](const Point& p, std::int64_t ts) { return p.timestamp < ts; });
    if (it != points_.end() && it->timestamp == timestamp) {
        it->value = value;
        return false;
    }
    points_.insert(it, {timestamp, value});
    return true;
}

Series& Store::create(std::string_view key, std::uint64_t id) {
    auto [it, inserted] = map_.try_emplace(std::string(key));
    it->second.id_ = id;
    next_id_ = std::max(next_id_, id + 1);
    order_.push_back(&*it);
    return it->second;
}

Series& Store::series(std::string_view key) {
    if (auto it = map_.find(key); it != map_.end()) return it->second;
    Series& s = create(key, next_id_);
    if (journal_ != nullptr) journal_->keys.push_back({s.id_, std::string(key)});
    return s;
}

Series* Store::open(std::string_view key) {
    if (auto it = map_.find(key); it != map_.end()) return &it->second;
    if (limits_.max_keys != 0 && order_.size() >= limits_.max_keys) return nullptr;
    return &series(key);
}

const Series* Store::find(std::string_view key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
}

Store::PutResult Store::put(std::string_view key, std::int64_t timestamp, double value) {
    Series* s = open(key);
    if (s == nullptr) return PutResult::key_limit;
    return put(*s, timestamp, value) ? PutResult::added : PutResult::replaced;
}

bool Store::put(Series& s, std::int64_t timestamp, double value) {
    const bool added = s.put(timestamp, value);
    points_ += added ? 1 : 0;
    if (journal_ != nullptr) journal_->points.push_back({s.id_, timestamp, value});
    return added;
}

Series& Store::restore(std::uint64_t id, std::string_view key) {
    if (auto it = map_.find(key); it != map_.end()) return it->second;
    return create(key, id);
}

Store::SweepResult Store::sweep(std::int64_t now_s, std::size_t max_keys_visited) {
    SweepResult r;
    if (sweep_cursor_ >= order_.size()) sweep_cursor_ = 0;
    const std::int64_t cutoff = limits_.retention_s > 0 ? now_s - limits_.retention_s
                                                        : std::numeric_limits<std::int64_t>::min();
    const std::size_t end = std::min(order_.size(), sweep_cursor_ + max_keys_visited);
    for (std::size_t i = sweep_cursor_; i < end; ++i) {
        auto* entry = const_cast<Entry*>(order_[i]);
        Series& s = entry->second;
        std::vector<Point>& pts = s.points_;
        auto keep =
            std::lower_bound(pts.begin(), pts.end(), cutoff,
                             [](const Point& p, std::int64_t ts) { return p.timestamp < ts; });
        std::size_t drop = static_cast<std::size_t>(keep - pts.begin());
        if (limits_.max_points_per_key != 0 && pts.size() - drop > limits_.max_points_per_key) {
            drop = pts.size() - limits_.max_points_per_key;
        }
        // Drop in batches of at least 1/16 of the key's points: erasing from the front moves the
        // rest, so dropping one point per sweep would cost O(points) per point dropped.
        if (drop > 0 && drop * kDropFraction < pts.size()) drop = 0;
        if (drop > 0) {
            pts.erase(pts.begin(), pts.begin() + static_cast<std::ptrdiff_t>(drop));
            points_ -= drop;
            r.points_dropped += drop;
            if (pts.empty()) pts.shrink_to_fit();
        }
        if (pts.empty() && !s.pinned()) {
            if (journal_ != nullptr) journal_->removed.push_back(s.id_);
            order_[i] = nullptr;
            map_.erase(map_.find(std::string_view(entry->first)));
            ++r.keys_removed;
        } else if (drop > 0 && journal_ != nullptr) {
            journal_->trims.push_back({s.id_, pts.empty() ? std::numeric_limits<std::int64_t>::max()
                                                          : pts.front().timestamp});
        }
    }
    r.keys_visited = end - sweep_cursor_;
    sweep_cursor_ = end - r.keys_removed;
    if (r.keys_removed > 0) {
        order_.erase(std::remove(order_.begin(), order_.end(), nullptr), order_.end());
    }
    if (sweep_cursor_ >= order_.size()) {
        sweep_cursor_ = 0;
        r.wrapped = true;
    }
    return r;
}

}  // namespace beat
