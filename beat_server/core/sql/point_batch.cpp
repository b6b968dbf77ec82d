#include "beat_server/core/sql/point_batch.hpp"

#include <algorithm>

namespace beat {

void PointBatch::take(StoreJournal& journal) {
    for (StoreJournal::NewKey& k : journal.keys)
        names_[k.id] = std::move(k.name);
    for (const StoreJournal::PointRecord& p : journal.points)
        rows_.push_back({p.key_id, p.timestamp, p.value});
    removed_.insert(removed_.end(), journal.removed.begin(), journal.removed.end());
    journal.clear();
    if (empty()) {
        for (std::uint64_t id : removed_)
            names_.erase(id);
        removed_.clear();
    }
}

std::vector<PointBatch::Row> PointBatch::chunk(std::size_t max_rows) const {
    const std::size_t n = std::min(max_rows, waiting());
    std::vector<Row> out(rows_.begin() + static_cast<std::ptrdiff_t>(head_),
                         rows_.begin() + static_cast<std::ptrdiff_t>(head_ + n));
    // The last write of a (key, second) wins: stable sort keeps the order of writes.
    std::stable_sort(out.begin(), out.end(), [](const Row& a, const Row& b) {
        return a.key_id != b.key_id ? a.key_id < b.key_id : a.timestamp < b.timestamp;
    });
    std::size_t kept = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (kept > 0 && out[kept - 1].key_id == out[i].key_id &&
            out[kept - 1].timestamp == out[i].timestamp) {
            out[kept - 1] = out[i];
        } else {
            out[kept++] = out[i];
        }
    }
    out.resize(kept);
    return out;
}

void PointBatch::written(std::size_t rows) {
    head_ += std::min(rows, waiting());
    if (head_ == rows_.size()) {
        drop_all();
    } else if (head_ >= rows_.size() / 2) {
        rows_.erase(rows_.begin(), rows_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
}

std::size_t PointBatch::drop_all() noexcept {
    const std::size_t n = waiting();
    rows_.clear();
    head_ = 0;
    for (std::uint64_t id : removed_)
        names_.erase(id);
    removed_.clear();
    return n;
}

}  // namespace beat
