// The store's journal: every change to the store since it was last handed to the storage writer,
// as plain records, so the writer can apply them to disk in one transaction. Pure data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace beat {

struct StoreJournal {
    // A key created in the store; its points name it by `id` from then on.
    struct NewKey {
        std::uint64_t id;
        std::string name;
    };
    // A point added or replaced.
    struct PointRecord {
        std::uint64_t key_id;
        std::int64_t timestamp;
        double value;
    };
    // Points of a key with a timestamp before `keep_from` were dropped by max_points_per_key:
    // those written before the trim, that is the first `points_before` records of `points` and
    // every earlier journal's, never a point written after it.
    struct Trim {
        std::uint64_t key_id;
        std::int64_t keep_from;
        std::size_t points_before;
    };

    // Applied in this order: keys, points, trims, removed keys (with all their points). Records
    // appear in the order the changes happened within each vector.
    std::vector<NewKey> keys;
    std::vector<PointRecord> points;
    std::vector<Trim> trims;
    std::vector<std::uint64_t> removed;

    std::size_t size() const noexcept {
        return keys.size() + points.size() + trims.size() + removed.size();
    }
    bool empty() const noexcept { return size() == 0; }
    // Forgets the points recorded (they will not reach the disk): the trims then cover none.
    void drop_points() noexcept {
        points.clear();
        for (Trim& t : trims)
            t.points_before = 0;
    }
    // Empties every vector, keeping their capacity for the next batch.
    void clear() noexcept {
        keys.clear();
        points.clear();
        trims.clear();
        removed.clear();
    }
};

}  // namespace beat
