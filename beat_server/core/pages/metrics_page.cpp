#include "beat_server/core/pages/metrics_page.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "beat_server/core/pages/exposition_writer.hpp"

namespace beat {
namespace {

// A host and what the detector says of it now, read once for every family.
struct HostRow {
    const HostRecord* host;
    DetectorReading reading;
};

std::vector<HostRow> sorted_hosts(const StatusView& v) {
    std::vector<HostRow> rows;
    rows.reserve(v.monitor.registry().size());
    v.monitor.registry().for_each([&](const HostRecord& h) {
        rows.push_back({&h, read_detector(h.liveness, v.now_ms)});
    });
    std::sort(rows.begin(), rows.end(),
              [](const HostRow& a, const HostRow& b) { return a.host->name < b.host->name; });
    return rows;
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

template <typename T>
constexpr bool is_optional = false;
template <typename T>
constexpr bool is_optional<std::optional<T>> = true;

// `value` for a host whose beats are numbered; none for a PyHeartBeat host, whose loss is unknown.
template <typename T>
std::optional<T> known_loss(const HostRecord& host, T value) {
    if (host.legacy) return std::nullopt;
    return value;
}

// The family `name` with one sample per host, of value `value(const HostRow&)`; a host whose
// value is an empty optional has no sample.
template <typename F>
void per_host(ExpositionWriter& w, const std::vector<HostRow>& rows, std::string_view name,
              MetricType type, std::string_view help, F&& value) {
    w.begin(name, type, help);
    for (const HostRow& r : rows) {
        // An optional value that is empty leaves the host out: unknown, not zero.
        if constexpr (is_optional<decltype(value(r))>) {
            if (const auto v = value(r)) w.sample({{"host", r.host->name}}, *v);
        } else {
            w.sample({{"host", r.host->name}}, value(r));
        }
    }
}

void write_hosts(ExpositionWriter& w, const StatusView& v, const std::vector<HostRow>& rows) {
    per_host(
        w, rows, "beat_host_up", MetricType::gauge,
        "1 while the failure detector holds the host up, 0 once it has gone silent.",
        [](const HostRow& r) { return std::uint64_t{r.host->liveness.state == HostState::up}; });
    per_host(w, rows, "beat_host_flapping", MetricType::gauge,
             "1 while the host keeps going silent and coming back (its changes are not reported "
             "one by one), else 0.",
             [](const HostRow& r) { return std::uint64_t{r.host->liveness.flapping()}; });
    per_host(w, rows, "beat_host_last_seen_timestamp_seconds", MetricType::gauge,
             "Unix time when the host's latest accepted datagram arrived.",
             [&](const HostRow& r) { return to_seconds(to_unix_ms(v, r.host->last_seen_ms)); });
    per_host(w, rows, "beat_host_next_beat_timestamp_seconds", MetricType::gauge,
             "Unix time when the failure detector expects the host's next beat (in the past once "
             "it is overdue).",
             [&](const HostRow& r) { return to_seconds(to_unix_ms(v, r.reading.expected_ms)); });
    per_host(w, rows, "beat_host_beats_total", MetricType::counter,
             "Beats received from the host (a beat sent in several datagrams counts once).",
             [](const HostRow& r) { return r.host->beats; });
    per_host(w, rows, "beat_host_beats_lost_total", MetricType::counter,
             "Beats of the host that never arrived, from gaps in its sequence numbers (none for "
             "PyHeartBeat hosts, whose beats carry no sequence).",
             [](const HostRow& r) { return known_loss(*r.host, r.host->lost); });
    per_host(w, rows, "beat_host_restarts_total", MetricType::counter,
             "Times the host's agent restarted (a new incarnation) after the first one seen.",
             [](const HostRow& r) { return r.host->restarts; });
    per_host(w, rows, "beat_host_duplicate_datagrams_total", MetricType::counter,
             "Datagrams from the host dropped as already seen or older than the sequence window.",
             [](const HostRow& r) { return r.host->duplicates; });
    per_host(w, rows, "beat_host_metric_names", MetricType::gauge,
             "Metric names the host holds now (at most --max-metrics-per-host).",
             [](const HostRow& r) { return std::uint64_t{r.host->metrics.size()}; });
    per_host(w, rows, "beat_host_metric_values_refused_total", MetricType::counter,
             "Metric values from the host refused because their name would exceed "
             "--max-metrics-per-host.",
             [](const HostRow& r) { return r.host->metrics_refused; });
    per_host(w, rows, "beat_host_interval_seconds", MetricType::gauge,
             "The beat interval the host's agent advertises.",
             [](const HostRow& r) { return to_seconds(r.host->interval_ms); });
    per_host(w, rows, "beat_host_loss_ratio", MetricType::gauge,
             "Recent share of the host's beats lost (0 to 1), as the failure detector weighs it "
             "(none for PyHeartBeat hosts).",
             [](const HostRow& r) { return known_loss(*r.host, r.reading.loss); });
    // The probe detector judges by phi the hosts whose agents do not answer probes.
    if (v.monitor.liveness().config().kind != DetectorKind::fixed) {
        w.begin("beat_host_phi", MetricType::gauge,
                "The phi accrual detector's suspicion of the host now: the host is declared "
                "silent once it reaches the threshold.");
        for (const HostRow& r : rows) {
            if (r.reading.phi) w.sample({{"host", r.host->name}}, *r.reading.phi);
        }
    }
    w.begin("beat_metric", MetricType::gauge,
            "The latest value of each metric a host's agent sends, by host and metric name.");
    for (const HostRow& r : rows) {
        for (const HostMetric& m : r.host->metrics)
            w.sample({{"host", r.host->name}, {"name", m.name}}, m.value);
    }
}

// The two-way channel: what the server sent its agents and what they answered, and the loop's
// own stalls.
void write_channel(ExpositionWriter& w, const StatusView& v) {
    const IngestStats& s = v.monitor.stats();
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
    const Liveness& liveness = v.monitor.liveness();
    w.begin("beat_hosts_judged", MetricType::gauge,
            "Hosts known, by the detector that judges each now: the probe detector judges by "
            "phi a host whose agent does not answer probes.");
    for (const JudgedBy j : {JudgedBy::fixed, JudgedBy::phi, JudgedBy::probe})
        w.sample({{"by", to_string(j)}}, std::uint64_t{liveness.judged_count(j)});
}

// Collection plans (README "Plans"): what was sent, and which agents run the plan they should.
void write_plans(ExpositionWriter& w, const StatusView& v, const std::vector<HostRow>& rows) {
    const IngestStats& s = v.monitor.stats();
    counter(w, "beat_plans_sent_total",
            "Plans sent to agents whose beats said they ran another plan than their host's.",
            s.plans_sent);
    counter(w, "beat_plans_held_total",
            "Plans not sent because their host had been sent 6 in the last minute.", s.plans_held);
    std::uint64_t current = 0;
    for (const HostRow& r : rows) {
        const HostPlanView p = v.monitor.plan_of(*r.host);
        current += p.running == p.wanted ? 1 : 0;
    }
    w.begin("beat_hosts_plan", MetricType::gauge,
            "Hosts known, by whether their agent runs the plan the server wants for them "
            "(current; with no plan, when it runs none) or another (pending).");
    w.sample({{"state", "current"}}, current);
    w.sample({{"state", "pending"}}, std::uint64_t{rows.size() - current});
}

void write_ingest(ExpositionWriter& w, const StatusView& v, const std::vector<HostRow>& rows) {
    const IngestStats& s = v.monitor.stats();
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
    write_channel(w, v);
    write_plans(w, v, rows);

    std::uint64_t up = 0;
    std::uint64_t silent = 0;
    std::uint64_t flapping = 0;
    for (const HostRow& r : rows) {
        up += r.host->liveness.state == HostState::up ? 1 : 0;
        silent += r.host->liveness.state == HostState::silent ? 1 : 0;
        flapping += r.host->liveness.flapping() ? 1 : 0;
    }
    w.begin("beat_hosts", MetricType::gauge, "Hosts known, by the failure detector's verdict.");
    w.sample({{"state", "up"}}, up);
    w.sample({{"state", "silent"}}, silent);
    gauge(w, "beat_hosts_flapping", "Hosts flapping now (also counted in beat_hosts).", flapping);
    gauge(w, "beat_registry_hosts",
          "Hosts in the registry: every host heard from and not yet forgotten.", rows.size());
}

void write_store(ExpositionWriter& w, const StatusView& v) {
    gauge(w, "beat_store_keys", "Series in the store (host metrics and keys put over TCP).",
          v.store.key_count());
    gauge(w, "beat_store_points", "Points held by the store's series.", v.store.point_count());
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

void write_tcp(ExpositionWriter& w, const StatusView& v) {
    write_connections(w, "tcp", "the put/get TCP port", v.tcp);
    counter(w, "beat_tcp_connections_idle_closed_total",
            "Connections to the put/get TCP port closed after --tcp-idle-timeout.",
            v.tcp.closed_idle);

    const ProtocolStats& p = v.protocol;
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

void write_process(ExpositionWriter& w, const StatusView& v) {
    if (!v.read_process) return;
    const ProcessStatus p = v.read_process();
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

}  // namespace

std::string render_metrics(const StatusView& view) {
    const std::vector<HostRow> rows = sorted_hosts(view);
    ExpositionWriter w;
    // About 12 kB of server figures, 14 samples per host and one per metric, ~60 bytes each.
    std::size_t metrics = 0;
    for (const HostRow& r : rows)
        metrics += r.host->metrics.size();
    w.reserve(12'000 + 60 * (14 * rows.size() + metrics));
    w.begin("beat_build_info", MetricType::gauge,
            "Always 1: the version of beat that serves these metrics, as a label.");
    w.sample({{"version", view.version}}, std::uint64_t{1});
    write_hosts(w, view, rows);
    write_ingest(w, view, rows);
    write_store(w, view);
    write_postgres(w, view);
    write_tcp(w, view);
    write_binary(w, view);
    write_http(w, view);
    write_process(w, view);
    return w.take();
}

}  // namespace beat
