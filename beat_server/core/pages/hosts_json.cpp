#include "beat_server/core/pages/hosts_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>

#include "beat_server/core/pages/fleet_walk.hpp"
#include "beat_server/core/pages/host_order.hpp"
#include "beat_server/core/pages/json_text.hpp"

namespace beat {

namespace {

// Appends `"key":`, after a comma unless `first`.
void key(std::string& out, std::string_view name, bool first = false) {
    if (!first) out += ',';
    out += '"';
    out += name;  // The keys below need no escaping.
    out += "\":";
}

void string_or_null(std::string& out, const std::string* text) {
    if (text != nullptr) {
        append_json_string(out, *text);
    } else {
        out += "null";
    }
}

// {"generated_at": ..., "hosts_up": n, "hosts_silent": n, "hosts":[
std::string page_head(const StatusView& view) {
    const Liveness& liveness = view.monitor.liveness();
    std::string out = "{\"generated_at\":";
    append_json_number(out, to_seconds(view.now_unix_ms));
    out += fmt::format(R"(,"hosts_up":{},"hosts_silent":{},"hosts":[)", liveness.up_count(),
                       liveness.silent_count());
    return out;
}

// The page a slice at a time (see stream_hosts_json()).
class HostsJsonStream final : public BodySource {
  public:
    explicit HostsJsonStream(const StatusView& view) : view_(view) {}

    bool write(std::string& out, std::size_t budget) override {
        switch (stage_) {
            case Stage::start:
                out += page_head(view_);
                order_.reserve(view_.monitor.registry().size());
                walk_.emplace(view_.monitor.registry());
                stage_ = Stage::order;
                return false;
            case Stage::order:
                if (walk_->step(view_.monitor.registry(), order_, [](const HostRecord& h) {
                        return h.liveness.state == HostState::silent;
                    }))
                    stage_ = Stage::hosts;
                return false;
            case Stage::hosts:
                if (!write_hosts(out, budget)) return false;
                out += "]}\n";
                stage_ = Stage::done;
                return true;
            case Stage::done:
                break;
        }
        return true;
    }

  private:
    enum class Stage { start, order, hosts, done };

    // Lists hosts from where the last slice stopped, up to about `budget` bytes or
    // kFleetHostsPerSlice hosts; true once every host is listed.
    bool write_hosts(std::string& out, std::size_t budget) {
        const std::size_t limit = out.size() + std::min(budget, out.max_size() - out.size());
        const Registry& registry = view_.monitor.registry();
        for (std::size_t visits = 0; next_ < order_.size(); ++next_, ++visits) {
            if (visits > 0 && (out.size() >= limit || visits == kFleetHostsPerSlice)) return false;
            const HostRecord* h = registry.find(order_.name(next_));
            if (h == nullptr) continue;  // Forgotten since the page began.
            if (listed_) out += ',';
            listed_ = true;
            append_host_json(out, *h, view_, metrics_);
        }
        return true;
    }

    StatusView view_;
    Stage stage_ = Stage::start;
    std::optional<FleetWalk> walk_;  // Copies the names into order_.
    HostOrder order_;
    std::size_t next_ = 0;  // The position in order_ of the next host to list.
    bool listed_ = false;   // A host was listed: the next one follows a comma.
    std::vector<const HostMetric*> metrics_;
};

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
    std::string out = page_head(view);
    bool first = true;
    std::vector<const HostMetric*> metrics;
    for (const HostRecord* h : hosts_silent_first(view.monitor.registry())) {
        if (!first) out += ',';
        first = false;
        append_host_json(out, *h, view, metrics);
    }
    out += "]}";
    return out;
}

std::unique_ptr<BodySource> stream_hosts_json(const StatusView& view) {
    return std::make_unique<HostsJsonStream>(view);
}

std::string render_host_json(const HostRecord& host, const StatusView& view) {
    std::string out;
    std::vector<const HostMetric*> metrics;
    append_host_json(out, host, view, metrics);
    return out;
}

void append_host_json(std::string& out, const HostRecord& host, const StatusView& view,
                      std::vector<const HostMetric*>& metrics) {
    const DetectorReading reading = read_detector(host.liveness, view.now_ms);
    const HostPlanView plan = view.monitor.plan_of(host);
    // The keys in byte order, as a json object (a std::map) lists them.
    out += '{';
    key(out, "address", true);
    append_json_string(out, host.address.to_string());
    key(out, "beats");
    append_json_number(out, host.beats);
    key(out, "duplicates");
    append_json_number(out, host.duplicates);
    key(out, "flapping");
    out += host.liveness.flapping() ? "true" : "false";
    key(out, "interval_seconds");
    append_json_number(out, to_seconds(host.interval_ms));
    key(out, "judged_by");
    append_json_string(out, to_string(reading.judged_by));
    key(out, "last_seen");
    append_json_number(out, to_seconds(to_unix_ms(view, host.last_seen_ms)));
    key(out, "last_seen_age_seconds");
    append_json_number(out, to_seconds(view.now_ms - host.last_seen_ms));
    // A PyHeartBeat host's beats carry no sequence: how many were lost is unknown.
    key(out, "loss_rate");
    append_json_number(out, host.legacy ? std::nan("") : reading.loss);
    key(out, "lost");
    if (host.legacy) {
        out += "null";
    } else {
        append_json_number(out, host.lost);
    }
    key(out, "metrics");
    metrics.clear();
    for (const HostMetric& m : host.metrics)
        metrics.push_back(&m);
    std::sort(metrics.begin(), metrics.end(),
              [](const HostMetric* a, const HostMetric* b) { return a->name < b->name; });
    out += '{';
    for (const HostMetric* m : metrics) {
        if (m != metrics.front()) out += ',';
        append_json_string(out, m->name);
        out += ':';
        append_json_number(out, m->value);
    }
    out += '}';
    key(out, "name");
    append_json_string(out, host.name);
    key(out, "next_beat");
    append_json_number(out, to_seconds(to_unix_ms(view, reading.expected_ms)));
    key(out, "next_beat_in_seconds");
    append_json_number(out, to_seconds(reading.expected_ms - view.now_ms));
    key(out, "phi");
    append_json_number(out, reading.phi ? *reading.phi : std::nan(""));
    key(out, "plan");
    string_or_null(out, plan.plan != nullptr ? &plan.plan->plan.name : nullptr);
    key(out, "plan_running");
    if (plan.running != 0) {
        append_json_string(out, format_plan_version(plan.running));
    } else {
        out += "null";
    }
    key(out, "plan_wanted");
    if (plan.wanted != 0) {
        append_json_string(out, format_plan_version(plan.wanted));
    } else {
        out += "null";
    }
    key(out, "protocol");
    out += host.legacy ? "\"pyheartbeat\"" : "\"beat\"";
    key(out, "restarts");
    append_json_number(out, host.restarts);
    key(out, "state");
    append_json_string(out, to_string(host.liveness.state));
    out += '}';
}

}  // namespace beat
