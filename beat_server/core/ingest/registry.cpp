#include "beat_server/core/ingest/registry.hpp"

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
    auto [it, inserted] = hosts_.try_emplace(std::string(name));
    HostRecord& h = it->second;
    h.name = it->first;
    h.first_seen_ms = now_ms;
    h.last_seen_ms = now_ms;
    h.liveness.owner = &h;
    return h;
}

void Registry::remove(HostRecord& host) {
    if (auto it = hosts_.find(host.name); it != hosts_.end()) hosts_.erase(it);
}

}  // namespace beat
