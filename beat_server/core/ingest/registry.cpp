#include "beat_server/core/ingest/registry.hpp"

#include <limits>
#include <stdexcept>

namespace beat {

HostRecord* Registry::find(std::string_view name) noexcept {
    auto it = hosts_.find(name);
    return it == hosts_.end() ? nullptr : &it->second;
}

const HostRecord* Registry::find(std::string_view name) const noexcept {
    auto it = hosts_.find(name);
    return it == hosts_.end() ? nullptr : &it->second;
}

HostRecord& Registry::add(std::string_view name, std::int64_t now_ms) {
    const bool reuse = !free_ids_.empty();
    if (!reuse) {
        if (by_id_.size() > std::numeric_limits<std::uint32_t>::max())
            throw std::length_error("more hosts than 32-bit host indexes can number");
        by_id_.push_back(nullptr);
    }
    const std::uint32_t id =
        reuse ? free_ids_.back() : static_cast<std::uint32_t>(by_id_.size() - 1);
    decltype(hosts_)::iterator it;
    try {
        it = hosts_.try_emplace(std::string(name)).first;
    } catch (...) {
        if (!reuse) by_id_.pop_back();
        throw;
    }
    if (reuse) free_ids_.pop_back();
    HostRecord& h = it->second;
    h.name = it->first;
    h.serial = added_++;
    h.first_seen_ms = now_ms;
    h.last_seen_ms = now_ms;
    h.liveness.host_id = id;
    by_id_[id] = &h;
    return h;
}

void Registry::remove(HostRecord& host) {
    auto it = hosts_.find(host.name);
    if (it == hosts_.end()) return;
    const std::uint32_t id = it->second.liveness.host_id;
    free_ids_.push_back(id);  // First: should it throw, the record is still whole.
    by_id_[id] = nullptr;
    hosts_.erase(it);
}

}  // namespace beat
