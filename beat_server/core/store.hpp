// The time-series store: for every key, (timestamp, value) points at one-second resolution.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

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

  private:
    std::vector<Point> points_;
};

// Hash that lets unordered maps keyed by std::string be searched with a string_view.
// Deliberately not noexcept: libstdc++ then keeps each node's hash code, so a lookup compares
// codes instead of re-hashing and re-reading the keys of the other nodes in its bucket (a cache
// miss each, with hundreds of thousands of keys).
struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class Store {
  public:
    using Entry = std::pair<const std::string, Series>;

    // The series for `key`, created (and placed last in insertion order) if it is new. The
    // reference stays valid as long as the store does. `key` must satisfy valid_key().
    Series& series(std::string_view key);
    // The series for `key`, or nullptr.
    const Series* find(std::string_view key) const;

    // Stores one point; see Series::put.
    void put(std::string_view key, std::int64_t timestamp, double value);
    // Records that a point was added to `s` through a reference from series() (keeps counts).
    void note_put(bool added) noexcept { points_ += added ? 1 : 0; }

    // Every key with its series, in first-insertion order.
    const std::vector<const Entry*>& entries() const noexcept { return order_; }
    std::size_t key_count() const noexcept { return order_.size(); }
    std::size_t point_count() const noexcept { return points_; }

  private:
    std::unordered_map<std::string, Series, StringHash, std::equal_to<>> map_;
    std::vector<const Entry*> order_;
    std::size_t points_ = 0;
};

}  // namespace beat
