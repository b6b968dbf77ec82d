#include "beat_server/core/store/store.hpp"

#include <algorithm>
#include <limits>
#include <span>
#include <stdexcept>

namespace beat {
namespace {

constexpr std::size_t kDropFraction = 16;

}  // namespace

bool Series::put(std::int64_t timestamp, double value, std::int64_t accepted_s) {
    if (blocks_.empty()) blocks_.push_back({0, 0, std::numeric_limits<std::int64_t>::min()});
    if (last_.empty() || timestamp > last_.back().timestamp) {
        // Appending: the common case, kept cheap.
        if (last_.size() == kBlockPoints) close_last();
        last_.push_back({timestamp, value});
        Block& b = blocks_.back();
        ++b.end;
        b.accepted_s = std::max(b.accepted_s, accepted_s);
        return true;
    }
    const std::size_t b = block_of(timestamp);
    std::vector<Point> points = block_points(b);
    const auto it =
        std::lower_bound(points.begin(), points.end(), timestamp,
                         [](const Point& p, std::int64_t ts) { return p.timestamp < ts; });
    const auto pos = static_cast<std::size_t>(it - points.begin());
    const std::int64_t accepted = std::max(blocks_[b].accepted_s, accepted_s);
    if (it != points.end() && it->timestamp == timestamp) {
        it->value = value;
        splice(b, 1, {{std::move(points), accepted}});
        return false;
    }
    if (points.size() < kBlockPoints) {
        points.insert(it, {timestamp, value});
        splice(b, 1, {{std::move(points), accepted}});
        return true;
    }
    if (pos == points.size()) {
        // Between a full block and the next: the next one takes the point if it has room.
        if (b + 1 < blocks_.size() && blocks_[b + 1].end - blocks_[b].end < kBlockPoints) {
            std::vector<Point> next = block_points(b + 1);
            next.insert(next.begin(), {timestamp, value});
            splice(b + 1, 1, {{std::move(next), std::max(blocks_[b + 1].accepted_s, accepted_s)}});
        } else {
            // Otherwise (back-filling a gap) a new block follows the full one.
            splice(b + 1, 0, {{{{timestamp, value}}, accepted_s}});
        }
        return true;
    }
    if (pos == 0) {
        // Before the first block, when it is full.
        splice(b, 0, {{{{timestamp, value}}, accepted_s}});
        return true;
    }
    // Inside a full block: split it in halves, both keeping its acceptance time.
    const std::size_t mid = points.size() / 2;
    std::vector<Point> second(points.begin() + static_cast<std::ptrdiff_t>(mid), points.end());
    points.resize(mid);
    std::vector<Point>& into = pos > mid ? second : points;
    into.insert(into.begin() + static_cast<std::ptrdiff_t>(pos > mid ? pos - mid : pos),
                {timestamp, value});
    const std::int64_t kept = blocks_[b].accepted_s;
    splice(b, 1,
           {{std::move(points), pos > mid ? kept : accepted},
            {std::move(second), pos > mid ? accepted : kept}});
    return true;
}

void Series::close_last() {
    // The chunk is encoded into space kept from one call to the next, then copied at the end of
    // the chunk bytes: closing a block allocates only when the chunk bytes grow.
    thread_local std::vector<std::uint8_t> chunk;
    encode_chunk(last_, chunk);
    // Grow by an eighth rather than doubling: the chunks are most of a series' memory.
    if (bytes_.capacity() < bytes_.size() + chunk.size())
        bytes_.reserve(bytes_.size() + chunk.size() + (bytes_.size() + chunk.size()) / 8);
    bytes_.insert(bytes_.end(), chunk.begin(), chunk.end());
    blocks_.back().bytes_end = static_cast<std::uint32_t>(bytes_.size());
    blocks_.push_back(
        {blocks_.back().end, blocks_.back().bytes_end, std::numeric_limits<std::int64_t>::min()});
    last_.clear();
}

void Series::splice(std::size_t b, std::size_t count, std::vector<NewBlock> blocks) {
    const bool tail = b + count == blocks_.size();
    const std::size_t byte_from = bytes_begin(b);
    const std::size_t byte_to = count == 0 ? byte_from : blocks_[b + count - 1].bytes_end;
    const std::size_t point_from = points_begin(b);
    const std::size_t point_to = count == 0 ? point_from : blocks_[b + count - 1].end;
    std::vector<std::uint8_t> chunks;
    std::vector<Block> made;
    std::size_t points = point_from;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        points += blocks[i].points.size();
        if (!(tail && i + 1 == blocks.size())) {
            const std::vector<std::uint8_t> chunk = encode_chunk(blocks[i].points);
            chunks.insert(chunks.end(), chunk.begin(), chunk.end());
        }
        made.push_back({static_cast<std::uint32_t>(points),
                        static_cast<std::uint32_t>(byte_from + chunks.size()),
                        blocks[i].accepted_s});
    }
    // One move of the bytes after the old chunks, by the difference in size.
    const std::size_t old_size = byte_to - byte_from;
    const auto byte_at = [this](std::size_t i) {
        return bytes_.begin() + static_cast<std::ptrdiff_t>(i);
    };
    if (chunks.size() > old_size)
        bytes_.insert(byte_at(byte_to), chunks.size() - old_size, 0);
    else
        bytes_.erase(byte_at(byte_from + chunks.size()), byte_at(byte_to));
    std::copy(chunks.begin(), chunks.end(), byte_at(byte_from));
    const auto at = [this](std::size_t i) {
        return blocks_.begin() + static_cast<std::ptrdiff_t>(i);
    };
    blocks_.erase(at(b), at(b + count));
    blocks_.insert(at(b), made.begin(), made.end());
    // Unsigned arithmetic modulo 2^32 moves the blocks after by what was added or removed.
    const auto point_shift = static_cast<std::uint32_t>(points - point_to);
    const auto byte_shift = static_cast<std::uint32_t>(chunks.size() - (byte_to - byte_from));
    for (std::size_t i = b + made.size(); i < blocks_.size(); ++i) {
        blocks_[i].end += point_shift;
        blocks_[i].bytes_end += byte_shift;
    }
    if (tail) last_ = std::move(blocks.back().points);
}

std::vector<Point> Series::block_points(std::size_t b) const {
    if (b + 1 == blocks_.size()) return last_;
    std::vector<Point> out;
    decode_chunk(std::span(bytes_).subspan(bytes_begin(b), blocks_[b].bytes_end - bytes_begin(b)),
                 out);
    return out;
}

std::int64_t Series::first_timestamp(std::size_t b) const noexcept {
    if (b + 1 == blocks_.size()) return last_.front().timestamp;
    return chunk_first_timestamp(std::span(bytes_).subspan(bytes_begin(b)));
}

std::size_t Series::block_of(std::int64_t timestamp) const noexcept {
    std::size_t lo = 0, hi = blocks_.size();  // The answer is in [lo, hi).
    while (hi - lo > 1) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (first_timestamp(mid) <= timestamp)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

void Series::drop(std::int64_t cutoff, std::size_t oldest) {
    std::vector<Block> blocks;
    std::vector<std::uint8_t> bytes;
    std::vector<Point> last;
    bool last_kept = false;
    for (std::size_t i = 0; i < blocks_.size(); ++i) {
        const Block& b = blocks_[i];
        if (b.accepted_s < cutoff) continue;
        const std::size_t size = b.end - points_begin(i);
        const std::size_t skip = std::min(oldest, size);
        oldest -= skip;
        if (skip == size) continue;
        const bool is_last = i + 1 == blocks_.size();
        if (skip == 0 && !is_last) {
            bytes.insert(bytes.end(), bytes_.begin() + static_cast<std::ptrdiff_t>(bytes_begin(i)),
                         bytes_.begin() + static_cast<std::ptrdiff_t>(b.bytes_end));
        } else {
            std::vector<Point> points = block_points(i);
            points.erase(points.begin(), points.begin() + static_cast<std::ptrdiff_t>(skip));
            if (is_last) {
                last = std::move(points);
                last_kept = true;
            } else {
                const std::vector<std::uint8_t> chunk = encode_chunk(points);
                bytes.insert(bytes.end(), chunk.begin(), chunk.end());
            }
        }
        const std::size_t kept = (blocks.empty() ? 0 : blocks.back().end) + size - skip;
        blocks.push_back({static_cast<std::uint32_t>(kept),
                          static_cast<std::uint32_t>(bytes.size()), b.accepted_s});
    }
    if (!blocks.empty() && !last_kept) {
        // The last block went: the new last one leaves the chunks to be appended to.
        const std::size_t from = blocks.size() == 1 ? 0 : blocks[blocks.size() - 2].bytes_end;
        decode_chunk(std::span(bytes).subspan(from), last);
        bytes.resize(from);
        blocks.back().bytes_end = static_cast<std::uint32_t>(from);
    }
    bytes.shrink_to_fit();
    blocks.shrink_to_fit();
    blocks_ = std::move(blocks);
    bytes_ = std::move(bytes);
    last_ = std::move(last);
    if (last_.empty()) last_.shrink_to_fit();
}

Series::Range Series::points() const noexcept {
    return Range(at_index(0), at_index(size()));
}

Series::Range Series::points_after(std::int64_t timestamp) const noexcept {
    Iterator it = at_index(0);
    if (!blocks_.empty()) {
        const std::size_t b = block_of(timestamp);
        it = Iterator(this, b, points_begin(b));
    }
    const Iterator end = at_index(size());
    while (it != end && it->timestamp <= timestamp)
        ++it;
    return Range(std::move(it), end);
}

Series::Iterator Series::at_index(std::size_t index) const noexcept {
    if (index >= size()) return Iterator(this, blocks_.size(), size());
    const auto b = static_cast<std::size_t>(
        std::upper_bound(blocks_.begin(), blocks_.end(), index,
                         [](std::size_t i, const Block& blk) { return i < blk.end; }) -
        blocks_.begin());
    Iterator it(this, b, points_begin(b));
    while (it.index_ < index)
        ++it;
    return it;
}

Series::Iterator::Iterator(const Series* s, std::size_t block, std::size_t index) noexcept
    : s_(s), block_(block), index_(index) {
    load();
}

void Series::Iterator::load() noexcept {
    if (block_ >= s_->blocks_.size()) return;
    if (block_ + 1 == s_->blocks_.size()) {
        point_ = s_->last_[index_ - s_->points_begin(block_)];
        return;
    }
    const std::size_t from = s_->bytes_begin(block_);
    reader_ =
        ChunkReader(std::span(s_->bytes_).subspan(from, s_->blocks_[block_].bytes_end - from));
    reader_.next(point_);
}

Series::Iterator& Series::Iterator::operator++() noexcept {
    ++index_;
    if (index_ == s_->blocks_[block_].end) {
        ++block_;
        load();
    } else if (block_ + 1 == s_->blocks_.size()) {
        point_ = s_->last_[index_ - s_->points_begin(block_)];
    } else {
        reader_.next(point_);
    }
    return *this;
}

Point Series::Range::back() const noexcept {
    const Series& s = *end_.s_;
    if (end_.index_ == s.size()) return s.last_.back();
    return (*this)[size() - 1];
}

Point Series::Range::operator[](std::size_t i) const noexcept {
    return *begin_.s_->at_index(begin_.index_ + i);
}

Point Series::Range::at(std::size_t i) const {
    if (i >= size()) throw std::out_of_range("Series::Range::at");
    return (*this)[i];
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
        const std::size_t size = s.size();
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
        if (s.empty() && !s.pinned()) {
            if (journal_ != nullptr) journal_->removed.push_back(s.id_);
            if (tap_ != nullptr) tap_->removed.push_back(s.id_);
            order_[i] = nullptr;
            map_.erase(map_.find(std::string_view(entry->first)));
            ++r.keys_removed;
        } else if (dropping && rotated > 0 && journal_ != nullptr) {
            journal_->trims.push_back({s.id_,
                                       s.empty() ? std::numeric_limits<std::int64_t>::max()
                                                 : s.points().front().timestamp,
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
