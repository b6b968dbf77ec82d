// The time-series store: for every key, (timestamp, value) points at one-second resolution, with
// the retention limits (age, points per key, number of keys) and a journal of every change for
// the storage writer.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "beat_server/core/store/store_journal.hpp"
#include "common/string_hash.hpp"

namespace beat {

struct Point {
    std::int64_t timestamp;  // Unix seconds.
    double value;
};

// One key's points, sorted by timestamp, at most one per timestamp.
class Series {
  public:
    // Adds (timestamp, value), replacing the value of an existing point with the same timestamp.
    // Returns true when a point was added, false when one was replaced. Amortised O(1) for
    // timestamps at or after the newest point, O(n) for an insertion in the middle.
    bool put(std::int64_t timestamp, double value);
    const std::vector<Point>& points() const noexcept { return points_; }

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
    std::vector<Point> points_;
    std::uint64_t id_ = 0;
    std::uint32_t pins_ = 0;
};

// How much the store keeps. A zero means "no limit".
struct RetentionLimits {
    std::int64_t retention_s = 7 * 86'400;  // Points older than now - retention are dropped.
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

    // The series for `key`, created (and placed last in insertion order) if it is new, ignoring
    // the key limit. The reference stays valid until the key is removed by sweep(), which never
    // removes a pinned series. `key` must satisfy valid_key().
    Series& series(std::string_view key);
    // Like series(), but nullptr when `key` is new and the store already holds max_keys keys.
    Series* open(std::string_view key);
    // The series for `key`, or nullptr.
    const Series* find(std::string_view key) const;

    // Stores one point; see Series::put. A new key beyond max_keys is refused (key_limit).
    PutResult put(std::string_view key, std::int64_t timestamp, double value);
    // Stores one point in `s`, a series of this store; returns true when a point was added.
    bool put(Series& s, std::int64_t timestamp, double value);

    // Recreates a key read back from disk with its old number, without journalling it (loading).
    // Keys are restored in increasing order of their numbers, before any other key is created, so
    // that numbers keep increasing along entries().
    Series& restore(std::uint64_t id, std::string_view key);
    // Numbers from `next` on are free (none below is ever handed out again).
    void reserve_ids(std::uint64_t next) noexcept { next_id_ = std::max(next_id_, next); }
    // Adds a point read back from disk to `s`, without journalling it.
    void restore_point(Series& s, std::int64_t timestamp, double value) {
        points_ += s.put(timestamp, value) ? 1 : 0;
    }

    // Applies the retention limits to at most `max_keys_visited` keys, continuing where the last
    // call stopped: drops points older than now_s - retention and the oldest beyond
    // max_points_per_key, in batches of at least 1/16 of the key's points (so a key may hold up
    // to 1/16 more than the limits until then), and removes keys left empty that nobody pins.
    // Journals a Trim per key trimmed and each key removed. O(keys visited + points dropped), plus
    // one O(keys) compaction of the insertion order when a key was removed.
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
};

}  // namespace beat
