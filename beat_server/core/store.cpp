#include "beat_server/core/store.hpp"

#include <algorithm>

namespace beat {

bool Series::put(std::int64_t timestamp, double value) {
    if (points_.empty() || points_.back().timestamp < timestamp) {
        points_.push_back({timestamp, value});
        return true;
    }
    if (points_.back().timestamp == timestamp) {
        points_.back().value = value;
        return false;
    }
    auto it = std::lower_bound(points_.begin(), points_.end(), timestamp,
                               [](const Point& p, std::int64_t ts) { return p.timestamp < ts; });
    if (it != points_.end() && it->timestamp == timestamp) {
        it->value = value;
        return false;
    }
    points_.insert(it, {timestamp, value});
    return true;
}

Series& Store::series(std::string_view key) {
    if (auto it = map_.find(key); it != map_.end()) return it->second;
    auto [it, inserted] = map_.try_emplace(std::string(key));
    order_.push_back(&*it);
    return it->second;
}

const Series* Store::find(std::string_view key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
}

void Store::put(std::string_view key, std::int64_t timestamp, double value) {
    note_put(series(key).put(timestamp, value));
}

}  // namespace beat
