#include "beat_server/core/query/reply_cursor.hpp"

#include <algorithm>
#include <limits>

#include "common/protocol.hpp"

namespace beat {

ReplyCursor ReplyCursor::all(const Store& store) {
    const auto& entries = store.entries();
    const std::uint64_t end = entries.empty() ? 0 : entries.back()->second.id() + 1;
    return ReplyCursor(store, 0, end);
}

ReplyCursor ReplyCursor::one(const Store& store, std::string_view key) {
    const Series* s = store.find(key);
    if (s == nullptr) return ReplyCursor(store, 0, 0);
    return ReplyCursor(store, s->id(), s->id() + 1);
}

bool ReplyCursor::write(std::string& out, std::size_t budget) {
    if (done()) return true;
    // Saturated: an unlimited budget (SIZE_MAX) after bytes already in `out` must not wrap round.
    const std::size_t room = std::numeric_limits<std::size_t>::max() - out.size();
    const std::size_t limit = out.size() + std::min(std::max<std::size_t>(budget, 1), room);
    if (!started_) {
        append_ok(out);
        started_ = true;
    }
    // Keys are in the order of their numbers (Store::entries), so the cursor's key is found by
    // its number even when keys before it were removed since the last slice.
    const auto& entries = store_->entries();
    auto it = std::lower_bound(
        entries.begin(), entries.end(), key_id_,
        [](const Store::Entry* e, std::uint64_t id) { return e->second.id() < id; });
    for (; it != entries.end() && (*it)->second.id() < end_id_; ++it) {
        const Series& s = (*it)->second;
        if (!in_key_ || s.id() != key_id_) {
            // A new key; or the one being listed was removed, which ends its listing.
            key_id_ = s.id();
            in_key_ = true;
            listed_any_ = false;
            if (s.empty()) {
                in_key_ = false;
                key_id_ = s.id() + 1;
                continue;
            }
            until_ts_ = s.points().back().timestamp;
        }
        if (!write_points((*it)->first, s, out, limit)) return false;
        in_key_ = false;
        key_id_ = s.id() + 1;
    }
    append_end(out);
    store_ = nullptr;
    return true;
}

bool ReplyCursor::write_points(std::string_view key, const Series& s, std::string& out,
                               std::size_t limit) {
    const Series::Range points = listed_any_ ? s.points_after(last_ts_) : s.points();
    for (auto p = points.begin(); p != points.end() && p->timestamp <= until_ts_; ++p) {
        if (out.size() >= limit) return false;
        append_point(out, key, p->value, p->timestamp);
        listed_any_ = true;
        last_ts_ = p->timestamp;
    }
    return true;
}

}  // namespace beat
