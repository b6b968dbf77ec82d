// The time-series store: for every key, (timestamp, value) points at one-second resolution, with
// the retention limits (age, points per key, number of keys) and a journal of every change for
// the storage writer.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "beat_server/core/store/chunk_codec.hpp"
#include "beat_server/core/store/point.hpp"
#include "beat_server/core/store/store_journal.hpp"
#include "common/string_hash.hpp"

namespace beat {

// One key's points, sorted by timestamp, at most one per timestamp, kept in blocks: runs of up to
// kBlockPoints points contiguous in timestamp order, each with the acceptance time of the newest
// write into it. The retention drops whole blocks once that time is older than the retention, so
// a point is kept at least that long after it was accepted, whatever its timestamp.
//
// Every block but the last is a compressed chunk (chunk_codec.hpp), the chunks laid end to end in
// one byte buffer; the last block, where appends land, is kept uncompressed. A point that lands
// in a chunk (a late write, a replacement) rewrites that chunk.
class Series {
  public:
    static constexpr std::size_t kBlockPoints = 128;
    struct Block {
        std::uint32_t end;        // One past the block's last point, counting from the first.
        std::uint32_t bytes_end;  // One past its chunk in the chunk bytes; the last block has none.
        std::int64_t accepted_s;  // Unix seconds: the newest write of a point of the block.
    };
    class Iterator;
    class Range;

    // Adds (timestamp, value), replacing the value of an existing point with the same timestamp,
    // and makes `accepted_s` (Unix seconds, when the server accepted the write) the acceptance
    // time of the point's block if it is newer. Returns true when a point was added, false when
    // one was replaced. Amortised O(1) for timestamps after the newest point; O(log blocks +
    // kBlockPoints) for a replacement or insertion in a chunk, plus a move of the bytes and
    // blocks after it when its size changes.
    bool put(std::int64_t timestamp, double value, std::int64_t accepted_s);

    // Every point in timestamp order, decoded as it is iterated. Iterators and ranges are
    // invalidated by any change to the series.
    Range points() const noexcept;
    // The points with a timestamp after `timestamp`, in order; O(log blocks + kBlockPoints) to
    // find the first.
    Range points_after(std::int64_t timestamp) const noexcept;
    std::size_t size() const noexcept { return blocks_.empty() ? 0 : blocks_.back().end; }
    bool empty() const noexcept { return blocks_.empty(); }
    // The blocks partitioning points() in order: block i holds the points from the end of block
    // i - 1 (0 for the first) to its own end; none is empty.
    const std::vector<Block>& blocks() const noexcept { return blocks_; }

    // The key's number, stable for the key's life in the store and on disk. Numbers increase along
    // the first-insertion order (Store::entries) and are never handed out twice.
    std::uint64_t id() const noexcept { return id_; }
    // Holders of a Series reference (a host's metric slot) pin it: the retention empties a pinned
    // series but never removes it.
    void pin() noexcept { ++pins_; }
    void unpin() noexcept { --pins_; }
    bool pinned() const noexcept { return pins_ > 0; }

  private:
    friend class Store;
    friend class Iterator;
    // A block's replacement in splice(): its points and acceptance time.
    struct NewBlock {
        std::vector<Point> points;
        std::int64_t accepted_s;
    };

    // Block b's first byte in bytes_ (the last block's is bytes_.size()).
    std::size_t bytes_begin(std::size_t b) const noexcept {
        return b == 0 ? 0 : blocks_[b - 1].bytes_end;
    }
    std::size_t points_begin(std::size_t b) const noexcept {
        return b == 0 ? 0 : blocks_[b - 1].end;
    }
    // An iterator at point `index` (at most size()).
    Iterator at_index(std::size_t index) const noexcept;
    // The points of block b, decoded.
    std::vector<Point> block_points(std::size_t b) const;
    // The timestamp of block b's first point.
    std::int64_t first_timestamp(std::size_t b) const noexcept;
    // The last block whose first point is at or before `timestamp`, or 0.
    std::size_t block_of(std::int64_t timestamp) const noexcept;
    // Replaces blocks [b, b + count) with `blocks` (none empty), re-encoding them, and moves the
    // blocks after them.
    void splice(std::size_t b, std::size_t count, std::vector<NewBlock> blocks);
    // Compresses the full last block into a chunk and opens a new, empty, last block.
    void close_last();
    // Drops the blocks accepted before `cutoff`, then the `oldest` first points of those left.
    void drop(std::int64_t cutoff, std::size_t oldest);

    std::vector<Block> blocks_;
    std::vector<std::uint8_t> bytes_;  // The chunks of every block but the last, in order.
    std::vector<Point> last_;          // The last block's points.
    std::uint64_t id_ = 0;
    std::uint32_t pins_ = 0;
};

// Walks a series' points in order, decoding a chunk at a time. A forward iterator whose
// reference stays valid until it is moved.
class Series::Iterator {
  public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Point;
    using difference_type = std::ptrdiff_t;
    using pointer = const Point*;
    using reference = const Point&;

    Iterator() = default;
    const Point& operator*() const noexcept { return point_; }
    const Point* operator->() const noexcept { return &point_; }
    Iterator& operator++() noexcept;
    Iterator operator++(int) noexcept {
        Iterator old = *this;
        ++*this;
        return old;
    }
    // Iterators of one series compare by position.
    bool operator==(const Iterator& o) const noexcept { return index_ == o.index_; }

  private:
    friend class Series;
    // At point `index` of `s`, the first of block `block` or one past the last point.
    Iterator(const Series* s, std::size_t block, std::size_t index) noexcept;
    void load() noexcept;

    const Series* s_ = nullptr;
    std::size_t block_ = 0;
    std::size_t index_ = 0;
    ChunkReader reader_;
    Point point_{0, 0};
};

// A run of a series' points, [begin, end) in timestamp order.
class Series::Range {
  public:
    Iterator begin() const noexcept { return begin_; }
    Iterator end() const noexcept { return end_; }
    std::size_t size() const noexcept { return end_.index_ - begin_.index_; }
    bool empty() const noexcept { return size() == 0; }
    // The first point; the range must not be empty.
    const Point& front() const noexcept { return *begin_; }
    // The last point, O(1) when the range ends with the series; the range must not be empty.
    Point back() const noexcept;
    // Point i of the range, O(log blocks + kBlockPoints); i must be below size().
    Point operator[](std::size_t i) const noexcept;
    // Like operator[], but throws std::out_of_range when i >= size().
    Point at(std::size_t i) const;

  private:
    friend class Series;
    Range(Iterator begin, Iterator end) noexcept : begin_(std::move(begin)), end_(std::move(end)) {}
    Iterator begin_, end_;
};

// How much the store keeps. A zero means "no limit".
struct RetentionLimits {
    // A point is kept at least this long after it was accepted: its block goes once the newest
    // write into it is older than now - retention.
    std::int64_t retention_s = 7 * 86'400;
    // Beyond this many points a key loses its oldest by timestamp (rotation).
    std::size_t max_points_per_key = 100'000;
    std::size_t max_keys = 1'000'000;  // Puts for a new key beyond this are refused.
};

class Store {
  public:
    using Entry = std::pair<const std::string, Series>;
    enum class PutResult { added, replaced, key_limit };

    // What one sweep() call did.
    struct SweepResult {
        std::size_t keys_visited = 0;
        std::size_t points_dropped = 0;
        std::size_t keys_removed = 0;
        bool wrapped = false;  // The pass over every key completed with this call.
    };

    explicit Store(const RetentionLimits& limits = {}) : limits_(limits) {}
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // Records every later change in `journal` (nullptr: none). The journal must outlive the store
    // or be detached first; its owner may take its records at any time between calls.
    void set_journal(StoreJournal* journal) noexcept { journal_ = journal; }
    // Records every later new key, point and removed key in `tap` too (nullptr: none), never a
    // trim: a second consumer (the PostgreSQL sink) that keeps its own history. Same ownership
    // rules as set_journal().
    void set_tap(StoreJournal* tap) noexcept { tap_ = tap; }

    // The series for `key`, created (and placed last in insertion order) if it is new, ignoring
    // the key limit. The reference stays valid until the key is removed by sweep(), which never
    // removes a pinned series. `key` must satisfy valid_key().
    Series& series(std::string_view key);
    // Like series(), but nullptr when `key` is new and the store already holds max_keys keys.
    Series* open(std::string_view key);
    // The series for `key`, or nullptr.
    const Series* find(std::string_view key) const;

    // Stores one point accepted at `accepted_s` (Unix seconds); see Series::put. A new key
    // beyond max_keys is refused (key_limit).
    PutResult put(std::string_view key, std::int64_t timestamp, double value,
                  std::int64_t accepted_s);
    // Stores one point accepted at `accepted_s` in `s`, a series of this store; returns true when
    // a point was added.
    bool put(Series& s, std::int64_t timestamp, double value, std::int64_t accepted_s);

    // Recreates a key read back from disk with its old number, without journalling it (loading).
    // Keys are restored in increasing order of their numbers, before any other key is created, so
    // that numbers keep increasing along entries().
    Series& restore(std::uint64_t id, std::string_view key);
    // Numbers from `next` on are free (none below is ever handed out again).
    void reserve_ids(std::uint64_t next) noexcept { next_id_ = std::max(next_id_, next); }
    // Adds a point read back from disk, accepted at `accepted_s`, to `s`, without journalling it.
    void restore_point(Series& s, std::int64_t timestamp, double value, std::int64_t accepted_s) {
        points_ += s.put(timestamp, value, accepted_s) ? 1 : 0;
    }

    // Applies the retention limits to at most `max_keys_visited` keys, continuing where the last
    // call stopped: drops every block of a key accepted before now_s - retention (wherever it
    // lies in timestamp order), then the key's oldest points by timestamp beyond
    // max_points_per_key, in batches of at least 1/16 of the key's points (so a key may hold up
    // to 1/16 more than the limits until then), and removes keys left empty that nobody pins.
    // Journals a Trim per key rotated by max_points_per_key and each key removed. O(blocks of the
    // keys visited + points they hold when some are dropped), plus one O(keys) compaction of the
    // insertion order when a key was removed.
    SweepResult sweep(std::int64_t now_s, std::size_t max_keys_visited);

    // Every key with its series, in first-insertion order, which is the order of their numbers: a
    // key can be found here by its number with a binary search.
    const std::vector<const Entry*>& entries() const noexcept { return order_; }
    std::size_t key_count() const noexcept { return order_.size(); }
    std::size_t point_count() const noexcept { return points_; }
    const RetentionLimits& limits() const noexcept { return limits_; }

  private:
    Series& create(std::string_view key, std::uint64_t id);

    RetentionLimits limits_;
    std::unordered_map<std::string, Series, StringHash, std::equal_to<>> map_;
    std::vector<const Entry*> order_;
    std::size_t points_ = 0;
    std::uint64_t next_id_ = 1;
    std::size_t sweep_cursor_ = 0;  // Index in order_ where the next sweep starts.
    StoreJournal* journal_ = nullptr;
    StoreJournal* tap_ = nullptr;
};

}  // namespace beat
