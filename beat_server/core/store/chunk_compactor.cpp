#include "beat_server/core/store/chunk_compactor.hpp"

#include <algorithm>
#include <span>

#include "beat_server/core/store/chunk_codec.hpp"

namespace beat {

void ChunkCompactor::add(std::uint64_t key_id, std::int64_t timestamp, double value,
                         std::int64_t accepted_s) {
    auto [it, created] = keys_.try_emplace(key_id, Key{{}, accepted_s});
    it->second.points.push_back({timestamp, value});
    it->second.accepted_s = std::max(it->second.accepted_s, accepted_s);
    ++size_;
}

std::vector<ChunkCompactor::KeyChunk> ChunkCompactor::take() {
    std::vector<std::uint64_t> ids;
    ids.reserve(keys_.size());
    for (const auto& [id, key] : keys_)
        ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    std::vector<KeyChunk> out;
    out.reserve(ids.size());
    for (const std::uint64_t id : ids) {
        Key& key = keys_.at(id);
        std::vector<Point>& points = key.points;
        const auto before = [](const Point& a, const Point& b) {
            return a.timestamp < b.timestamp;
        };
        // Beats arrive in order: most keys need no sort. A stable sort keeps the writes of one
        // second in their order, and the last of each run is the value that stands.
        const bool increasing =
            std::adjacent_find(points.begin(), points.end(), [](auto& a, auto& b) {
                return a.timestamp >= b.timestamp;
            }) == points.end();
        if (!increasing) {
            std::stable_sort(points.begin(), points.end(), before);
            auto last = points.begin();
            for (auto p = points.begin() + 1; p != points.end(); ++p) {
                if (p->timestamp == last->timestamp)
                    *last = *p;
                else
                    *++last = *p;
            }
            points.erase(last + 1, points.end());
        }
        for (std::size_t from = 0; from < points.size(); from += kMaxChunkPoints) {
            const std::size_t n = std::min(kMaxChunkPoints, points.size() - from);
            out.push_back(
                {id, key.accepted_s, n, encode_chunk(std::span(points).subspan(from, n))});
        }
    }
    keys_.clear();
    size_ = 0;
    return out;
}

}  // namespace beat
