#include "beat_server/core/pages/metrics_page.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "beat_server/core/pages/exposition_writer.hpp"
#include "beat_server/core/pages/fleet_walk.hpp"
#include "beat_server/core/pages/host_order.hpp"

namespace beat {
namespace {

// The detectors in the order beat_hosts_judged lists them.
constexpr JudgedBy kJudges[] = {JudgedBy::fixed, JudgedBy::phi, JudgedBy::probe};

// What the page's fleet-wide lines say that is read from the core (the view's other figures are
// copies already), taken at one moment in O(1), but for the plan counts, which are counted host by
// host.
struct ServerFigures {
    IngestStats ingest;
    ProtocolStats protocol;
    std::uint64_t judged[std::size(kJudges)] = {};
    std::uint64_t hosts = 0;
    std::uint64_t up = 0;
    std::uint64_t silent = 0;
    std::uint64_t flapping = 0;
    std::uint64_t store_keys = 0;
    std::uint64_t store_points = 0;
    std::optional<ProcessStatus> process;  // Unset: the view reads none.
    // Hosts counted by count_plan(), and those of them whose agent runs the plan they should.
    std::uint64_t plan_hosts = 0;
    std::uint64_t plan_current = 0;

    void count_plan(const HostRecord& h, const Monitor& monitor) noexcept {
        const HostPlanView p = monitor.plan_of(h);
        ++plan_hosts;
        plan_current += p.running == p.wanted ? 1 : 0;
    }
};

// The figures of `v` now; the plan counts are left to count_plan().
ServerFigures server_figures(const StatusView& v) {
    ServerFigures f;
    f.ingest = v.monitor.stats();
    f.protocol = v.protocol;
    const Liveness& liveness = v.monitor.liveness();
    for (std::size_t i = 0; i < std::size(kJudges); ++i)
        f.judged[i] = liveness.judged_count(kJudges[i]);
    f.hosts = v.monitor.registry().size();
    f.up = liveness.up_count();
    f.silent = liveness.silent_count();
    f.flapping = liveness.flapping_count();
    f.store_keys = v.store.key_count();
    f.store_points = v.store.point_count();
    if (v.read_process) f.process = v.read_process();
    return f;
}

// A host's value in a per-host family: none (the host has no sample: unknown, not zero), a whole
// number or a real one.
struct HostValue {
    enum class Kind : std::uint8_t { none, whole, real };

    // Implicit, so that a family's value reads as the number it is.
    HostValue() = default;
    HostValue(std::uint64_t v) noexcept : kind(Kind::whole), whole(v) {}
    HostValue(double v) noexcept : kind(Kind::real), real(v) {}

    Kind kind = Kind::none;
    std::uint64_t whole = 0;
    double real = 0;
};

// A family with one sample per host, labelled by the host's name.
struct HostFamily {
    std::string_view name;
    MetricType type;
    std::string_view help;
    HostValue (*value)(const HostRecord&, const StatusView&);
    bool phi = false;  // Listed only when a detector that computes phi runs.
};

// `value` for a host whose beats are numbered; none for a PyHeartBeat host, whose loss is unknown.
HostValue known_loss(const HostRecord& host, HostValue value) {
    if (host.legacy) return {};
    return value;
}

// The per-host families, in the order the page lists them, before beat_metric.
constexpr HostFamily kHostFamilies[] = {
    {"beat_host_up", MetricType::gauge,
     "1 while the failure detector holds the host up, 0 once it has gone silent.",
     [](const HostRecord& h, const StatusView&) -> HostValue {
         return std::uint64_t{h.liveness.state == HostState::up};
     }},
    {"beat_host_flapping", MetricType::gauge,
     "1 while the host keeps going silent and coming back (its changes are not reported one by "
     "one), else 0.",
     [](const HostRecord& h, const StatusView&) -> HostValue {
         return std::uint64_t{h.liveness.flapping()};
     }},
    {"beat_host_last_seen_timestamp_seconds", MetricType::gauge,
     "Unix time when the host's latest accepted datagram arrived.",
     [](const HostRecord& h, const StatusView& v) -> HostValue {
         return to_seconds(to_unix_ms(v, h.last_seen_ms));
     }},
    {"beat_host_next_beat_timestamp_seconds", MetricType::gauge,
     "Unix time when the failure detector expects the host's next beat (in the past once it is "
     "overdue).",
     [](const HostRecord& h, const StatusView& v) -> HostValue {
         return to_seconds(to_unix_ms(v, read_detector(h.liveness, v.now_ms).expected_ms));
     }},
    {"beat_host_beats_total", MetricType::counter,
     "Beats received from the host (a beat sent in several datagrams counts once).",
     [](const HostRecord& h, const StatusView&) -> HostValue { return h.beats; }},
    {"beat_host_beats_lost_total", MetricType::counter,
     "Beats of the host that never arrived, from gaps in its sequence numbers (none for "
     "PyHeartBeat hosts, whose beats carry no sequence).",
     [](const HostRecord& h, const StatusView&) { return known_loss(h, h.lost); }},
    {"beat_host_restarts_total", MetricType::counter,
     "Times the host's agent restarted (a new incarnation) after the first one seen.",
     [](const HostRecord& h, const StatusView&) -> HostValue { return h.restarts; }},
    {"beat_host_duplicate_datagrams_total", MetricType::counter,
     "Datagrams from the host dropped as already seen or older than the sequence window.",
     [](const HostRecord& h, const StatusView&) -> HostValue { return h.duplicates; }},
    {"beat_host_metric_names", MetricType::gauge,
     "Metric names the host holds now (at most --max-metrics-per-host).",
     [](const HostRecord& h, const StatusView&) -> HostValue {
         return std::uint64_t{h.metrics.size()};
     }},
    {"beat_host_metric_values_refused_total", MetricType::counter,
     "Metric values from the host refused because their name would exceed "
     "--max-metrics-per-host.",
     [](const HostRecord& h, const StatusView&) -> HostValue { return h.metrics_refused; }},
    {"beat_host_interval_seconds", MetricType::gauge,
     "The beat interval the host's agent advertises.",
     [](const HostRecord& h, const StatusView&) -> HostValue { return to_seconds(h.interval_ms); }},
    {"beat_host_loss_ratio", MetricType::gauge,
     "Recent share of the host's beats lost (0 to 1), as the failure detector weighs it (none "
     "for PyHeartBeat hosts).",
     [](const HostRecord& h, const StatusView& v) {
         return known_loss(h, read_detector(h.liveness, v.now_ms).loss);
     }},
    // The probe detector judges by phi the hosts whose agents do not answer probes.
    {"beat_host_phi", MetricType::gauge,
     "The phi accrual detector's suspicion of the host now: the host is declared silent once it "
     "reaches the threshold.",
     [](const HostRecord& h, const StatusView& v) -> HostValue {
         if (const auto phi = read_detector(h.liveness, v.now_ms).phi) return *phi;
         return {};
     },
     true},
};

constexpr std::string_view kMetricFamily = "beat_metric";
constexpr std::string_view kMetricHelp =
    "The latest value of each metric a host's agent sends, by host and metric name.";

bool listed(const HostFamily& f, const StatusView& v) noexcept {
    return !f.phi || v.monitor.liveness().config().kind != DetectorKind::fixed;
}

void counter(ExpositionWriter& w, std::string_view name, std::string_view help,
             std::uint64_t value) {
    w.begin(name, MetricType::counter, help);
    w.sample(value);
}

void gauge(ExpositionWriter& w, std::string_view name, std::string_view help, std::uint64_t value) {
    w.begin(name, MetricType::gauge, help);
    w.sample(value);
}

// A process collector figure: left out, family and all, when /proc did not give it.
void process_figure(ExpositionWriter& w, std::string_view name, MetricType type,
                    std::string_view help, const std::optional<double>& value) {
    if (!value) return;
    w.begin(name, type, help);
    w.sample(*value);
}

void write_build_info(ExpositionWriter& w, const StatusView& v) {
    w.begin("beat_build_info", MetricType::gauge,
            "Always 1: the version of beat that serves these metrics, as a label.");
    w.sample({{"version", v.version}}, std::uint64_t{1});
}

// Every host in name order.
std::vector<const HostRecord*> sorted_hosts(const StatusView& v) {
    std::vector<const HostRecord*> hosts;
    hosts.reserve(v.monitor.registry().size());
    v.monitor.registry().for_each([&](const HostRecord& h) { hosts.push_back(&h); });
    std::sort(hosts.begin(), hosts.end(),
              [](const HostRecord* a, const HostRecord* b) { return a->name < b->name; });
    return hosts;
}

// The per-host families and beat_metric, each host's samples through the checking writer.
void write_hosts(ExpositionWriter& w, const StatusView& v,
                 const std::vector<const HostRecord*>& hosts) {
    for (const HostFamily& f : kHostFamilies) {
        if (!listed(f, v)) continue;
        w.begin(f.name, f.type, f.help);
        for (const HostRecord* h : hosts) {
            const HostValue value = f.value(*h, v);
            if (value.kind == HostValue::Kind::whole) {
                w.sample({{"host", h->name}}, value.whole);
            } else if (value.kind == HostValue::Kind::real) {
                w.sample({{"host", h->name}}, value.real);
            }
        }
    }
    w.begin(kMetricFamily, MetricType::gauge, kMetricHelp);
    for (const HostRecord* h : hosts) {
        for (const HostMetric& m : h->metrics)
            w.sample({{"host", h->name}, {"name", m.name}}, m.value);
    }
}

// The two-way channel: what the server sent its agents and what they answered, and the loop's
// own stalls.
void write_channel(ExpositionWriter& w, const StatusView& v, const ServerFigures& f) {
    const IngestStats& s = f.ingest;
    counter(w, "beat_acks_sent_total", "Acknowledgements of beats sent to the agents.", s.acks);
    counter(w, "beat_probes_sent_total",
            "Probes sent to hosts whose beat was missing, or to learn whether their agent answers.",
            s.probes);
    counter(w, "beat_probes_over_budget_total",
            "Probes not sent because --probe-budget probes had been sent in that second.",
            s.probes_over_budget);
    counter(w, "beat_udp_sends_failed_total",
            "Acknowledgements and probes the UDP socket could not send (a full buffer, an "
            "unreachable address).",
            v.udp_sends_failed);
    w.begin("beat_probe_answers_total", MetricType::counter,
            "Answers to probes received: matched to a probe still open, stale (no such probe "
            "open: late, or forged) or refused (failing --auth, or from an unknown host).");
    w.sample({{"result", "matched"}}, s.answers);
    w.sample({{"result", "stale"}}, s.answers_stale);
    w.sample({{"result", "refused"}}, s.answers_refused);
    counter(w, "beat_server_stalls_total",
            "Times the server's own loop ran late enough that verdicts were held until the beats "
            "waiting meanwhile had been read.",
            s.stalls);
    w.begin("beat_hosts_judged", MetricType::gauge,
            "Hosts known, by the detector that judges each now: the probe detector judges by "
            "phi a host whose agent does not answer probes.");
    for (std::size_t i = 0; i < std::size(kJudges); ++i)
        w.sample({{"by", to_string(kJudges[i])}}, f.judged[i]);
}

// Collection plans (README "Plans"): what was sent, and which agents run the plan they should.
void write_plans(ExpositionWriter& w, const ServerFigures& f) {
    const IngestStats& s = f.ingest;
    counter(w, "beat_plans_sent_total",
            "Plans sent to agents whose beats said they ran another plan than their host's.",
            s.plans_sent);
    counter(w, "beat_plans_held_total",
            "Plans not sent because their host had been sent 6 in the last minute.", s.plans_held);
    w.begin("beat_hosts_plan", MetricType::gauge,
            "Hosts known, by whether their agent runs the plan the server wants for them "
            "(current; with no plan, when it runs none) or another (pending).");
    w.sample({{"state", "current"}}, f.plan_current);
    w.sample({{"state", "pending"}}, f.plan_hosts - f.plan_current);
}

void write_ingest(ExpositionWriter& w, const StatusView& v, const ServerFigures& f) {
    const IngestStats& s = f.ingest;
    counter(w, "beat_datagrams_received_total", "Datagrams read from the UDP socket.", s.datagrams);
    counter(w, "beat_datagrams_accepted_total", "Datagrams decoded and applied to a host.",
            s.accepted);
    counter(w, "beat_datagrams_late_total",
            "Datagrams accepted out of order (counted in beat_datagrams_accepted_total too).",
            s.late);
    counter(w, "beat_pyheartbeat_beats_total",
            "PyHeartBeat datagrams (\"PyHB\") accepted as beats of the host of their source "
            "address (counted in beat_datagrams_accepted_total too).",
            s.pyheartbeats);
    counter(w, "beat_datagrams_duplicate_total",
            "Datagrams decoded but dropped as already seen or older than the sequence window.",
            s.duplicates);
    w.begin("beat_datagrams_rejected_total", MetricType::counter,
            "Datagrams that failed to decode, by reason.");
    for (std::size_t i = 1; i < kDecodeErrorCount; ++i) {
        w.sample({{"reason", to_string(static_cast<DecodeError>(i))}}, s.rejected_by[i]);
    }
    w.begin("beat_datagrams_refused_total", MetricType::counter,
            "Datagrams that decoded but were refused (authentication, replay, clock skew, host "
            "limit), by reason.");
    for (std::size_t i = 0; i < kRefusalCount; ++i)
        w.sample({{"reason", to_string(static_cast<Refusal>(i))}}, s.refused_by[i]);
    w.begin("beat_metric_values_total", MetricType::counter,
            "Metric values received in accepted datagrams: stored, or refused because their key "
            "would exceed --max-keys (key_limit) or their name --max-metrics-per-host for their "
            "host (host_limit).");
    w.sample({{"result", "stored"}}, s.metrics);
    w.sample({{"result", "key_limit"}}, s.metrics_refused);
    w.sample({{"result", "host_limit"}}, s.metrics_host_limit);
    counter(w, "beat_metric_names_released_total",
            "Host metric names released because no beat had carried them for --retention.",
            s.metric_names_released);
    write_channel(w, v, f);
    write_plans(w, f);

    w.begin("beat_hosts", MetricType::gauge, "Hosts known, by the failure detector's verdict.");
    w.sample({{"state", "up"}}, f.up);
    w.sample({{"state", "silent"}}, f.silent);
    gauge(w, "beat_hosts_flapping", "Hosts flapping now (also counted in beat_hosts).", f.flapping);
    gauge(w, "beat_registry_hosts",
          "Hosts in the registry: every host heard from and not yet forgotten.", f.hosts);
}

void write_store(ExpositionWriter& w, const StatusView& v, const ServerFigures& f) {
    gauge(w, "beat_store_keys", "Series in the store (host metrics and keys put over TCP).",
          f.store_keys);
    gauge(w, "beat_store_points", "Points held by the store's series.", f.store_points);
    gauge(w, "beat_storage_enabled", "1 when the store is kept on disk (--data-dir), else 0.",
          std::uint64_t{v.storage.enabled});
    counter(w, "beat_storage_commits_total", "Batches of store changes committed to disk.",
            v.storage.commits);
    counter(w, "beat_storage_commit_failures_total",
            "Commits to disk that failed (the batch is retried).", v.storage.failures);
    counter(w, "beat_storage_dropped_points_total",
            "Points never written to disk: given up on after the retries.",
            v.storage.dropped_points);
}

// Only with --postgres: without it the page is what it was.
void write_postgres(ExpositionWriter& w, const StatusView& v) {
    const PostgresStatus& p = v.postgres;
    if (!p.enabled) return;
    gauge(w, "beat_postgres_connected", "1 while the PostgreSQL writer is connected, else 0.",
          std::uint64_t{p.connected});
    gauge(w, "beat_postgres_waiting_points",
          "Points stored and not yet written to PostgreSQL (bounded; beyond, they are dropped).",
          p.waiting_points);
    counter(w, "beat_postgres_rows_written_total",
            "Rows upserted into PostgreSQL (one per key and second of each batch).",
            p.rows_written);
    counter(w, "beat_postgres_batches_total", "Upserts written to PostgreSQL.", p.batches);
    counter(w, "beat_postgres_failures_total",
            "Failed PostgreSQL connections and statements (the batch is retried).", p.failures);
    counter(w, "beat_postgres_reconnects_total", "Connections to PostgreSQL made after the first.",
            p.reconnects);
    counter(w, "beat_postgres_dropped_points_total",
            "Points never written to PostgreSQL: too many waiting, or left at shutdown.",
            p.dropped_points);
    if (!p.last_error.empty()) {
        w.begin("beat_postgres_last_error_info", MetricType::gauge,
                "The PostgreSQL writer's latest failure, as a label.");
        w.sample({{"error", p.last_error}}, std::uint64_t{1});
    }
}

// The families of a TCP port's connections: beat_`port`_connections_open, _accepted_total and
// _refused_total by limit; `what` names the port in their help ("the put/get TCP port").
void write_connections(ExpositionWriter& w, std::string_view port, std::string_view what,
                       const TcpStatus& s) {
    const std::string family = fmt::format("beat_{}_connections", port);
    gauge(w, family + "_open", fmt::format("Connections open on {}.", what), s.open);
    counter(w, family + "_accepted_total", fmt::format("Connections accepted on {}.", what),
            s.accepted);
    w.begin(family + "_refused_total", MetricType::counter,
            fmt::format("Connections to {} closed at once, by the limit they exceeded.", what));
    w.sample({{"reason", "max_connections"}}, s.refused);
    w.sample({{"reason", "per_address"}}, s.refused_per_address);
}

void write_tcp(ExpositionWriter& w, const StatusView& v, const ServerFigures& f) {
    write_connections(w, "tcp", "the put/get TCP port", v.tcp);
    counter(w, "beat_tcp_connections_idle_closed_total",
            "Connections to the put/get TCP port closed after --tcp-idle-timeout.",
            v.tcp.closed_idle);

    const ProtocolStats& p = f.protocol;
    w.begin("beat_tcp_requests_total", MetricType::counter,
            "Requests on the put/get TCP port, by command and result. A put refused for "
            "--max-keys has result key_limit. A malformed line has command invalid and the "
            "reason as its result, and a line over the length limit result too_long.");
    w.sample({{"command", "put"}, {"result", "ok"}}, p.puts);
    w.sample({{"command", "put"}, {"result", "key_limit"}}, p.key_limit);
    w.sample({{"command", "get"}, {"result", "ok"}}, p.gets);
    w.sample({{"command", "get_all"}, {"result", "ok"}}, p.get_alls);
    for (std::size_t i = 1; i < kRequestErrorCount; ++i) {
        w.sample({{"command", "invalid"}, {"result", to_string(static_cast<RequestError>(i))}},
                 p.malformed_by[i]);
    }
    w.sample({{"command", "invalid"}, {"result", "too_long"}}, p.too_long);
}

void write_binary(ExpositionWriter& w, const StatusView& v) {
    const BinaryStatus& b = v.binary;
    gauge(w, "beat_binary_enabled", "1 when the --binary port for metric frames is open, else 0.",
          std::uint64_t{b.enabled});
    w.begin("beat_binary_frames_total", MetricType::counter,
            "Metric frames read on the --binary port: stored as puts, or not stored because "
            "their key would exceed --max-keys.");
    w.sample({{"result", "stored"}}, b.frames.stored);
    w.sample({{"result", "key_limit"}}, b.frames.key_limit);
    write_connections(w, "binary", "the --binary port", b.connections);
    w.begin("beat_binary_connections_closed_total", MetricType::counter,
            "Connections to the --binary port closed by the server: idle for --tcp-idle-timeout, "
            "or at a malformed frame, by its reason.");
    w.sample({{"reason", "idle"}}, b.connections.closed_idle);
    for (std::size_t i = 1; i < kFrameErrorCount; ++i)
        w.sample({{"reason", to_string(static_cast<FrameError>(i))}}, b.frames.malformed_by[i]);
}

void write_http(ExpositionWriter& w, const StatusView& v) {
    const HttpStats& h = v.http;
    gauge(w, "beat_http_connections_open", "Connections open on the HTTP port.", h.open);
    counter(w, "beat_http_connections_accepted_total", "Connections accepted on the HTTP port.",
            h.accepted);
    counter(w, "beat_http_connections_refused_total",
            "Connections to the HTTP port closed at once beyond the connection limit.", h.refused);
    counter(w, "beat_http_connections_idle_closed_total",
            "Connections to the HTTP port closed after the idle timeout.", h.closed_idle);
    counter(w, "beat_http_requests_total",
            "Requests answered on the HTTP port, well-formed or not.", h.requests);
    w.begin("beat_http_responses_total", MetricType::counter,
            "Responses sent on the HTTP port, by status class.");
    static constexpr std::string_view kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    for (std::size_t c = 1; c < h.responses_by_class.size(); ++c)
        w.sample({{"code", kClasses[c - 1]}}, h.responses_by_class[c]);
}

void write_process(ExpositionWriter& w, const ServerFigures& f) {
    if (!f.process) return;
    const ProcessStatus& p = *f.process;
    process_figure(w, "process_cpu_seconds_total", MetricType::counter,
                   "Total user and system CPU time spent in seconds.", p.cpu_seconds);
    process_figure(w, "process_resident_memory_bytes", MetricType::gauge,
                   "Resident memory size in bytes.", p.resident_bytes);
    process_figure(w, "process_virtual_memory_bytes", MetricType::gauge,
                   "Virtual memory size in bytes.", p.virtual_bytes);
    process_figure(w, "process_start_time_seconds", MetricType::gauge,
                   "Start time of the process since unix epoch in seconds.", p.start_time_seconds);
    process_figure(w, "process_open_fds", MetricType::gauge, "Number of open file descriptors.",
                   p.open_fds);
    process_figure(w, "process_max_fds", MetricType::gauge,
                   "Maximum number of open file descriptors.", p.max_fds);
}

// The families after the hosts': the server's own figures, and the fleet's counts.
void write_server(ExpositionWriter& w, const StatusView& v, const ServerFigures& f) {
    write_ingest(w, v, f);
    write_store(w, v, f);
    write_postgres(w, v);
    write_tcp(w, v, f);
    write_binary(w, v);
    write_http(w, v);
    write_process(w, f);
}

// The page a slice at a time (see stream_metrics()).
class MetricsStream final : public BodySource {
  public:
    explicit MetricsStream(const StatusView& view) : view_(view) {}

    bool write(std::string& out, std::size_t budget) override {
        switch (stage_) {
            case Stage::start:
                start(out);
                stage_ = Stage::order;
                return false;
            case Stage::order:
                if (walk_->step(view_.monitor.registry(), order_,
                                [](const HostRecord&) { return false; }))
                    stage_ = Stage::hosts;
                return false;
            case Stage::hosts:
                if (write_hosts(out, budget)) stage_ = Stage::server;
                return false;
            case Stage::server:
                write_server_lines(out);
                stage_ = Stage::done;
                return true;
            case Stage::done:
                break;
        }
        return true;
    }

  private:
    enum class Stage { start, order, hosts, server, done };

    // Takes the fleet's names and the server's figures, and writes beat_build_info.
    void start(std::string& out) {
        figures_ = server_figures(view_);
        const Registry& registry = view_.monitor.registry();
        order_.reserve(registry.size());
        walk_.emplace(registry);
        ExpositionWriter w;
        write_build_info(w, view_);
        out += w.take();
    }

    // The fleet-wide lines, after the hosts.
    void write_server_lines(std::string& out) {
        ExpositionWriter w;
        write_server(w, view_, figures_);
        out += w.take();
    }

    // Writes the per-host families from where the last slice stopped, up to about `budget` bytes
    // or kFleetHostsPerSlice hosts; true once beat_metric is complete.
    bool write_hosts(std::string& out, std::size_t budget) {
        const std::size_t limit = out.size() + std::min(budget, out.max_size() - out.size());
        const Registry& registry = view_.monitor.registry();
        std::size_t visits = 0;
        while (family_ <= std::size(kHostFamilies)) {
            const bool metrics = family_ == std::size(kHostFamilies);
            if (!metrics && !listed(kHostFamilies[family_], view_)) {
                ++family_;
                continue;
            }
            if (next_ == 0 && !begun_) {
                if (metrics) {
                    append_family_head(out, kMetricFamily, MetricType::gauge, kMetricHelp);
                } else {
                    const HostFamily& f = kHostFamilies[family_];
                    append_family_head(out, f.name, f.type, f.help);
                }
                begun_ = true;
            }
            for (; next_ < order_.size(); ++next_) {
                if (visits > 0 && (out.size() >= limit || visits == kFleetHostsPerSlice))
                    return false;
                ++visits;
                const HostRecord* h = registry.find(order_.name(next_));
                if (h == nullptr) continue;  // Forgotten since the page began.
                label_.assign("{host=\"");
                append_label_value(label_, h->name);
                if (metrics) {
                    write_metrics(out, *h);
                } else {
                    // The first family lists each host once: its plan is counted then.
                    if (family_ == 0) figures_.count_plan(*h, view_.monitor);
                    write_sample(out, kHostFamilies[family_], *h);
                }
            }
            ++family_;
            next_ = 0;
            begun_ = false;
        }
        return true;
    }

    void write_sample(std::string& out, const HostFamily& f, const HostRecord& h) {
        const HostValue value = f.value(h, view_);
        if (value.kind == HostValue::Kind::none) return;
        out += f.name;
        out += label_;
        out += "\"} ";
        if (value.kind == HostValue::Kind::whole) {
            append_sample_value(out, value.whole);
        } else {
            append_sample_value(out, value.real);
        }
        out += '\n';
    }

    // Every metric of `h`: one host's samples in one slice, so they are of one moment.
    void write_metrics(std::string& out, const HostRecord& h) {
        for (const HostMetric& m : h.metrics) {
            out += kMetricFamily;
            out += label_;
            out += "\",name=\"";
            append_label_value(out, m.name);
            out += "\"} ";
            append_sample_value(out, m.value);
            out += '\n';
        }
    }

    StatusView view_;
    Stage stage_ = Stage::start;
    std::optional<FleetWalk> walk_;  // Copies the names into order_.
    HostOrder order_;
    ServerFigures figures_;  // Taken at the start; the plan counts as the hosts are listed.
    // The family being written: an index in kHostFamilies, or its size for beat_metric.
    std::size_t family_ = 0;
    std::size_t next_ = 0;  // The position in order_ of the next host to list.
    bool begun_ = false;    // The family's HELP and TYPE lines are written.
    std::string label_;     // The current host's label set, open: {host="NAME
};

}  // namespace

std::string render_metrics(const StatusView& view) {
    const std::vector<const HostRecord*> hosts = sorted_hosts(view);
    ServerFigures figures = server_figures(view);
    std::size_t metrics = 0;
    for (const HostRecord* h : hosts) {
        figures.count_plan(*h, view.monitor);
        metrics += h->metrics.size();
    }
    ExpositionWriter w;
    // About 12 kB of server figures, 14 samples per host and one per metric, ~60 bytes each.
    w.reserve(12'000 + 60 * (14 * hosts.size() + metrics));
    write_build_info(w, view);
    write_hosts(w, view, hosts);
    write_server(w, view, figures);
    return w.take();
}

std::unique_ptr<BodySource> stream_metrics(const StatusView& view) {
    return std::make_unique<MetricsStream>(view);
}

}  // namespace beat
