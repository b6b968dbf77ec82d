#include "beat_server/core/store/disk_trims.hpp"

#include <algorithm>

namespace beat {

void DiskTrims::add(std::uint64_t key_id, std::int64_t segment, std::int64_t points,
                    std::int64_t keep_from) {
    by_key_[key_id].push_back({segment, points, keep_from});
}

void DiskTrims::seal() {
    for (auto& [key, rows] : by_key_) {
        for (std::size_t i = rows.size() - 1; i-- > 0;)
            rows[i].keep_from = std::max(rows[i].keep_from, rows[i + 1].keep_from);
    }
}

const DiskTrims::Row* DiskTrims::first_covering(std::uint64_t key_id, std::int64_t segment,
                                                std::int64_t index) const noexcept {
    const auto key = by_key_.find(key_id);
    if (key == by_key_.end()) return nullptr;
    const auto& rows = key->second;
    const auto first = std::find_if(rows.begin(), rows.end(),
                                    [&](const Row& t) { return t.covers(segment, index); });
    return first == rows.end() ? nullptr : &*first;
}

bool DiskTrims::kept(std::uint64_t key_id, std::int64_t timestamp, std::int64_t segment,
                     std::int64_t index) const noexcept {
    const Row* first = first_covering(key_id, segment, index);
    return first == nullptr || timestamp >= first->keep_from;
}

bool DiskTrims::covered(std::uint64_t key_id, std::int64_t segment,
                        std::int64_t index) const noexcept {
    return first_covering(key_id, segment, index) != nullptr;
}

}  // namespace beat
