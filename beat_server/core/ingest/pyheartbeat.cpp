#include "beat_server/core/ingest/pyheartbeat.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "beat_server/core/ingest/monitor.hpp"

namespace beat {

std::string pyheartbeat_host(const SourceAddress& from) {
    const sockaddr* sa = from.raw();
    if (sa->sa_family == AF_INET6) {
        sockaddr_in6 v6;
        std::memcpy(&v6, sa, sizeof v6);
        if (IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr)) {
            char buf[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, v6.sin6_addr.s6_addr + 12, buf, sizeof buf);
            return buf;
        }
    }
    return from.ip();
}

void Monitor::on_legacy_beat(const SourceAddress& from, std::int64_t now_ms) {
    key_scratch_ = pyheartbeat_host(from);
    const std::string_view name = key_scratch_;
    // It cannot carry a tag.
    if (config_.auth.mode == AuthMode::required) {
        return refuse(Refusal::auth_missing, name, from, now_ms);
    }
    HostRecord* found = registry_.find(name);
    const bool is_new = found == nullptr;
    if (is_new && registry_.size() >= config_.max_hosts) {
        return refuse(Refusal::host_limit, name, from, now_ms);
    }
    HostRecord& host = is_new ? registry_.add(name, now_ms) : *found;
    ++stats_.accepted;
    ++stats_.pyheartbeats;
    ++host.beats;
    const std::int64_t previous_seen_ms = host.last_seen_ms;
    host.address = from;
    host.interval_ms = config_.legacy_interval_ms;
    host.last_seen_ms = now_ms;
    host.legacy = true;
    // Its sender answers no probe (nor is sent one): judged by phi, even where an agent of the
    // same name answered before.
    if (host.liveness.probe) host.liveness.probe->answers = false;
    // Without a sequence every datagram is the next beat, none lost: phi measures the gaps.
    const HostState before = liveness_.beat(host.liveness, host.interval_ms, now_ms,
                                            is_new ? Arrival::fresh : Arrival::next);
    const EventHost event_host{std::string(host.name), host.address};
    if (is_new) {
        host.transitions.push({now_ms, now_ms, TransitionKind::new_host});
        events_.on_event(HostNew{event_host, now_ms, host.interval_ms, 0});
    } else if (before == HostState::silent && !host.liveness.flapping()) {
        host.transitions.push({now_ms, now_ms, TransitionKind::back});
        events_.on_event(HostBack{event_host, now_ms, now_ms - previous_seen_ms, 0, false,
                                  read_detector(host.liveness, now_ms), false});
    }
}

}  // namespace beat
