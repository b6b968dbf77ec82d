// The PostgreSQL writer's points: the store's tap journals turned into rows named by key, kept
// until written, and cut into chunks of distinct (key, second) for one upsert each. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "beat_server/core/store/store_journal.hpp"

namespace beat {

class PointBatch {
  public:
    struct Row {
        std::uint64_t key_id;  // The store's number for the key: key_name() names it.
        std::int64_t timestamp;
        double value;
    };

    // Names the keys the store held before its tap was attached.
    void add_key(std::uint64_t id, std::string name) { names_[id] = std::move(name); }

    // Takes the records of `journal` (new keys, points, removed keys) and leaves it empty. A
    // removed key keeps its name until no row waiting refers to it.
    void take(StoreJournal& journal);

    std::size_t waiting() const noexcept { return rows_.size() - head_; }
    bool empty() const noexcept { return waiting() == 0; }

    // The oldest waiting rows, at most `max_rows`, with at most one row per (key, second): the
    // last written among them, as the store kept it. Stays waiting until written().
    std::vector<Row> chunk(std::size_t max_rows) const;
    // The first `rows` waiting rows (those chunk(rows) looked at) are written: forgets them.
    void written(std::size_t rows);
    // Forgets every waiting row (counted as dropped by the caller); returns how many there were.
    std::size_t drop_all() noexcept;

    // The name of a key a waiting row refers to, or of a key still in the store.
    const std::string& key_name(std::uint64_t id) const { return names_.at(id); }

  private:
    std::unordered_map<std::uint64_t, std::string> names_;
    std::vector<Row> rows_;
    std::size_t head_ = 0;                // rows_[0, head_) are written.
    std::vector<std::uint64_t> removed_;  // Forgotten once no row waits.
};

}  // namespace beat
