// The trims the database keeps (a key rotated by max_points_per_key, as StoreJournal::Trim is
// written to disk), read back to decide which stored points are still to be kept. Pure data.
#pragma once

#include <climits>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace beat {

// A trim (key, segment, points, keep_from) drops the key's points with a timestamp before
// keep_from that were written before it: those of the segments numbered below `segment`, the
// first `points` points of segment `segment`, and those of the chunks compacted from segments
// numbered below `segment` (a chunk counts as written at the end of the last segment it was
// compacted from). It never drops a point written after it.
class DiskTrims {
  public:
    // The index of a chunk's points within its last segment: after every point of it.
    static constexpr std::int64_t kChunk = INT64_MAX;

    // Adds a trim; a key's trims must be added in increasing (segment, points).
    void add(std::uint64_t key_id, std::int64_t segment, std::int64_t points,
             std::int64_t keep_from);
    // Makes each trim drop what the trims made after it drop too (a later trim with an earlier
    // keep_from does not bring back what an earlier one dropped). Call once, after the last add().
    void seal();

    // Whether the point (`key_id`, `timestamp`), point `index` of segment `segment` (kChunk: of a
    // chunk whose last segment is `segment`), survives every trim made after it was written.
    bool kept(std::uint64_t key_id, std::int64_t timestamp, std::int64_t segment,
              std::int64_t index) const noexcept;
    // Whether some trim was made after the point `index` of segment `segment` of `key_id` was
    // written, so that kept() has to look at the point's timestamp.
    bool covered(std::uint64_t key_id, std::int64_t segment, std::int64_t index) const noexcept;
    bool empty() const noexcept { return by_key_.empty(); }

  private:
    struct Row {
        std::int64_t segment;
        std::int64_t points;
        std::int64_t keep_from;  // Once sealed: the largest of this row's and the later rows'.

        bool covers(std::int64_t s, std::int64_t index) const noexcept {
            return s < segment || (s == segment && index < points);
        }
    };
    // The first trim of `key_id` made after point `index` of segment `segment`, or nullptr.
    const Row* first_covering(std::uint64_t key_id, std::int64_t segment,
                              std::int64_t index) const noexcept;

    std::unordered_map<std::uint64_t, std::vector<Row>> by_key_;
};

}  // namespace beat
