#include "beat_server/core/pages/hosts_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

namespace beat {

namespace {

using nlohmann::json;

// `v`, or null when it is NaN or infinite (JSON has no such numbers).
json finite_or_null(double v) {
    return std::isfinite(v) ? json(v) : json(nullptr);
}

json host_object(const HostRecord& host, const StatusView& view) {
    const DetectorReading reading = read_detector(host.liveness, view.now_ms);
    json h = json::object();
    h["name"] = host.name;
    h["state"] = to_string(host.liveness.state);
    h["flapping"] = host.liveness.flapping();
    h["last_seen"] = to_seconds(to_unix_ms(view, host.last_seen_ms));
    h["last_seen_age_seconds"] = to_seconds(view.now_ms - host.last_seen_ms);
    h["next_beat"] = to_seconds(to_unix_ms(view, reading.expected_ms));
    h["next_beat_in_seconds"] = to_seconds(reading.expected_ms - view.now_ms);
    h["address"] = host.address.to_string();
    // A PyHeartBeat host's beats carry no sequence: how many were lost is unknown.
    h["protocol"] = host.legacy ? "pyheartbeat" : "beat";
    h["interval_seconds"] = to_seconds(host.interval_ms);
    h["beats"] = host.beats;
    h["lost"] = host.legacy ? json(nullptr) : json(host.lost);
    h["loss_rate"] = host.legacy ? json(nullptr) : finite_or_null(reading.loss);
    h["restarts"] = host.restarts;
    h["duplicates"] = host.duplicates;
    h["judged_by"] = to_string(reading.judged_by);
    h["phi"] = reading.phi ? finite_or_null(*reading.phi) : json(nullptr);
    const HostPlanView plan = view.monitor.plan_of(host);
    h["plan"] = plan.plan != nullptr ? json(plan.plan->plan.name) : json(nullptr);
    h["plan_wanted"] = plan.wanted != 0 ? json(format_plan_version(plan.wanted)) : json(nullptr);
    h["plan_running"] = plan.running != 0 ? json(format_plan_version(plan.running)) : json(nullptr);
    json& metrics = h["metrics"] = json::object();
    for (const HostMetric& m : host.metrics)
        metrics[m.name] = finite_or_null(m.value);
    return h;
}

std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::string_view to_string(HostState s) noexcept {
    switch (s) {
        case HostState::up:
            return "up";
        case HostState::silent:
            return "silent";
        case HostState::unknown:
            break;
    }
    return "unknown";
}

std::vector<const HostRecord*> hosts_silent_first(const Registry& registry, std::size_t limit) {
    std::vector<const HostRecord*> hosts;
    hosts.reserve(registry.size());
    registry.for_each([&](const HostRecord& h) { hosts.push_back(&h); });
    const auto before = [](const HostRecord* a, const HostRecord* b) {
        const bool a_silent = a->liveness.state == HostState::silent;
        const bool b_silent = b->liveness.state == HostState::silent;
        if (a_silent != b_silent) return a_silent;
        return a->name < b->name;
    };
    if (limit < hosts.size()) {
        const auto end = hosts.begin() + static_cast<std::ptrdiff_t>(limit);
        std::partial_sort(hosts.begin(), end, hosts.end(), before);
        hosts.erase(end, hosts.end());
    } else {
        std::sort(hosts.begin(), hosts.end(), before);
    }
    return hosts;
}

std::string render_hosts_json(const StatusView& view) {
    const Liveness& liveness = view.monitor.liveness();
    std::string out = fmt::format(
        R"({{"generated_at":{},"hosts_up":{},"hosts_silent":{},"hosts":[)",
        dump(json(to_seconds(view.now_unix_ms))), liveness.up_count(), liveness.silent_count());
    bool first = true;
    for (const HostRecord* h : hosts_silent_first(view.monitor.registry())) {
        if (!first) out += ',';
        first = false;
        out += render_host_json(*h, view);
    }
    out += "]}";
    return out;
}

std::string render_host_json(const HostRecord& host, const StatusView& view) {
    return dump(host_object(host, view));
}

}  // namespace beat
