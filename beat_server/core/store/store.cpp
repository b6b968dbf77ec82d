#include "beat_server/core/store/store.hpp"

#include <algorithm>
#include <limits>

namespace beat {
namespace {

constexpr std::size_t kDropFraction = 16;

}  // namespace

bool Series::put(std::int64_t timestamp, double value, std::int64_t accepted_s) {
    std::size_t pos = points_.size();
    if (!points_.empty() && points_.back().timestamp >= timestamp) {
        pos = static_cast<std::size_t>(
            std::lower_bound(points_.begin(), points_.end(), timestamp,
                             [](const Point& p, std::int64_t ts) { return p.timestamp < ts; }) -
            points_.begin());
        if (points_[pos].timestamp == timestamp) {
            points_[pos].value = value;
            auto block = std::upper_bound(blocks_.begin(), blocks_.end(), pos,
                                          [](std::size_t i, const Block& b) { return i < b.end; });
            block->accepted_s = std::max(block->accepted_s, accepted_s);
            return false;
        }
    }
    const std::size_t b = block_for_insert(pos);
    points_.insert(points_.begin() + static_cast<std::ptrdiff_t>(pos), {timestamp, value});
    for (std::size_t i = b; i < blocks_.size(); ++i)
        ++blocks_[i].end;
    blocks_[b].accepted_s = std::max(blocks_[b].accepted_s, accepted_s);
    return true;
}

std::size_t Series::block_for_insert(std::size_t pos) {
    if (blocks_.empty()) {
        blocks_.push_back({0, std::numeric_limits<std::int64_t>::min()});
        return 0;
    }
    // The first block ending at or after pos: a point between two blocks joins the earlier one.
    auto b = static_cast<std::size_t>(
        std::lower_bound(blocks_.begin(), blocks_.end(), pos,
                         [](const Block& blk, std::size_t i) { return blk.end < i; }) -
        blocks_.begin());
    const std::size_t start = b == 0 ? 0 : blocks_[b - 1].end;
    const std::size_t end = blocks_[b].end;
    if (end - start < kBlockPoints) return b;
    const auto at = [this](std::size_t i) {
        return blocks_.begin() + static_cast<std::ptrdiff_t>(i);
    };
    if (pos == end) {
        // Between a full block and the next: the next one takes the point if it has room.
        if (b + 1 < blocks_.size() && blocks_[b + 1].end - end < kBlockPoints) return b + 1;
        // Otherwise (appending, back-filling a gap) a new block follows the full one.
        blocks_.insert(at(b + 1), {end, std::numeric_limits<std::int64_t>::min()});
        return b + 1;
    }
    if (pos == start) {
        // Before the first block, when it is full.
        blocks_.insert(at(b), {start, std::numeric_limits<std::int64_t>::min()});
        return b;
    }
    // Inside a full block: split it in halves, both keeping its acceptance time.
    const std::size_t mid = start + (end - start) / 2;
    blocks_.insert(at(b), {mid, blocks_[b].accepted_s});
    return pos > mid ? b + 1 : b;
}

void Series::drop(std::int64_t cutoff, std::size_t oldest) {
    std::size_t kept = 0, blocks_kept = 0, start = 0;
    for (const Block& b : blocks_) {
        const std::size_t end = b.end;
        if (b.accepted_s >= cutoff) {
            const std::size_t skip = std::min(oldest, end - start);
            oldest -= skip;
            const std::size_t from = start + skip;
            if (from < end) {
                if (kept != from) {
                    std::copy(points_.begin() + static_cast<std::ptrdiff_t>(from),
                              points_.begin() + static_cast<std::ptrdiff_t>(end),
                              points_.begin() + static_cast<std::ptrdiff_t>(kept));
                }
                kept += end - from;
                blocks_[blocks_kept++] = {kept, b.accepted_s};
            }
        }
        start = end;
    }
    points_.resize(kept);
    blocks_.resize(blocks_kept);
    if (points_.empty()) {
        points_.shrink_to_fit();
        blocks_.shrink_to_fit();
    }
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
    if (tap_ != nullptr) tap_->keys.push_back({s.id_, std::string(key)});
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

Store::PutResult Store::put(std::string_view key, std::int64_t timestamp, double value,
                            std::int64_t accepted_s) {
    Series* s = open(key);
    if (s == nullptr) return PutResult::key_limit;
    return put(*s, timestamp, value, accepted_s) ? PutResult::added : PutResult::replaced;
}

bool Store::put(Series& s, std::int64_t timestamp, double value, std::int64_t accepted_s) {
    const bool added = s.put(timestamp, value, accepted_s);
    points_ += added ? 1 : 0;
    if (journal_ != nullptr) journal_->points.push_back({s.id_, timestamp, value});
    if (tap_ != nullptr) tap_->points.push_back({s.id_, timestamp, value});
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
        const std::size_t size = s.points_.size();
        std::size_t expired = 0, start = 0;
        for (const Series::Block& b : s.blocks_) {
            if (b.accepted_s < cutoff) expired += b.end - start;
            start = b.end;
        }
        const std::size_t left = size - expired;
        const std::size_t max_points = limits_.max_points_per_key;
        const std::size_t rotated = max_points != 0 && left > max_points ? left - max_points : 0;
        const std::size_t drop = expired + rotated;
        // Drop in batches of at least 1/16 of the key's points: compacting the points moves the
        // rest, so dropping one block per sweep would cost O(points) per block dropped.
        const bool dropping = drop > 0 && drop * kDropFraction >= size;
        if (dropping) {
            s.drop(cutoff, rotated);
            points_ -= drop;
            r.points_dropped += drop;
        }
        if (s.points_.empty() && !s.pinned()) {
            if (journal_ != nullptr) journal_->removed.push_back(s.id_);
            if (tap_ != nullptr) tap_->removed.push_back(s.id_);
            order_[i] = nullptr;
            map_.erase(map_.find(std::string_view(entry->first)));
            ++r.keys_removed;
        } else if (dropping && rotated > 0 && journal_ != nullptr) {
            journal_->trims.push_back({s.id_,
                                       s.points_.empty() ? std::numeric_limits<std::int64_t>::max()
                                                         : s.points_.front().timestamp,
                                       journal_->points.size()});
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
