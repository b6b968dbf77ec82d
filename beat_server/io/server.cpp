#include "beat_server/io/server.hpp"

#include <sodium.h>

#include <algorithm>

#include "beat_server/core/config/server_settings.hpp"
#include "beat_server/core/pages/http_routes.hpp"
#include "beat_server/core/plans/plan_book.hpp"
#include "beat_server/io/config_file.hpp"
#include "beat_server/io/process_metrics.hpp"
#include "common/config_value.hpp"
#include "common/log.hpp"
#include "common/uv/handle.hpp"

namespace beat {
namespace {

KeyRing load_keys(const ServerConfig& config) {
    return config.key_file.empty() ? KeyRing{} : KeyRing::load(config.key_file);
}

MonitorConfig monitor_config(const ServerConfig& config, const KeyRing& keys) {
    MonitorConfig m;
    m.timeout_ms = config.timeout_ms;
    m.detector = config.detector;
    m.forget_after_ms = config.forget_after_ms;
    m.max_hosts = config.max_hosts;
    m.max_metrics_per_host = config.max_metrics_per_host;
    m.auth = AuthPolicy{config.auth, &keys, config.max_clock_skew_ms};
    m.legacy_interval_ms = static_cast<std::uint32_t>(config.legacy_interval_ms);
    // Nobody who does not see a probe can guess its nonce, nor the next ones from it.
    randombytes_buf(m.nonce_key.data(), m.nonce_key.size());
    return m;
}

// The plans file at `path`. Throws ConfigError naming the file, and the line of a mistake in it.
std::shared_ptr<const PlanBook> read_plans(const std::string& path) {
    std::string error;
    const auto text = read_config_file(path, error);
    if (!text) throw ConfigError(fmt::format("cannot read the plans file {}: {}", path, error));
    return std::make_shared<const PlanBook>(PlanBook::parse(*text, path));
}

std::string_view auth_name(AuthMode m) {
    return m == AuthMode::required ? "required" : m == AuthMode::optional ? "optional" : "off";
}

}  // namespace

Server::Server(uv_loop_t* loop, const ServerConfig& config)
    : loop_(loop),
      config_(config),
      keys_(load_keys(config)),
      monitor_(monitor_config(config, keys_), store_, events_, &udp_),
      udp_(loop, config.udp, config.udp_rcvbuf_bytes, monitor_, [this] { arm_detector(); }) {
    // First: a bad plans file is a bad start, like a bad flag, and stops it before the storage
    // and the other listeners are opened.
    if (!config.plans_file.empty()) use_plans(read_plans(config.plans_file), false);
    for (UvHandle<uv_timer_t>* t : {&detector_timer_, &report_timer_, &grace_timer_,
                                    &retention_timer_, &watchdog_timer_, &fleet_timer_}) {
        *t = UvHandle<uv_timer_t>(uv_timer_init, loop, "timer init");
        (*t)->data = this;
    }
    drain_check_ = UvHandle<uv_check_t>(uv_check_init, loop, "check init");
    drain_check_->data = this;
    std::function<std::uint64_t()> durable_generation;
    if (config.persistent()) {
        storage_ = std::make_unique<Storage>(loop, config, store_, monitor_,
                                             [this](std::uint64_t generation) {
                                                 if (tcp_) tcp_->committed(generation);
                                                 if (binary_) binary_->committed(generation);
                                             });
        durable_generation = [this] { return storage_->ack_generation(); };
    }
    // The beats are read from the next turn of the loop on: the restored hosts' grace starts now.
    if (storage_) storage_->restore_hosts();
    // After the load: the points already stored are not written to PostgreSQL again.
    if (!config.postgres.conninfo.empty()) {
        postgres_ =
            std::make_unique<PostgresSink>(loop, config.postgres, store_, monitor_, udp_.bound());
        events_.set_second(postgres_.get());
    }
    const TcpLimits limits{config.max_connections, config.max_connections_per_address,
                           config.tcp_idle_timeout_ms};
    tcp_ = std::make_unique<TcpServer>(loop, config.tcp, limits, executor_, durable_generation);
    if (config.binary) {
        binary_ = std::make_unique<BinaryServer>(loop, *config.binary, limits, frame_ingest_,
                                                 std::move(durable_generation));
    }
    if (config.http) {
        HttpLimits http_limits;
        http_limits.idle_timeout_ms = config.http_idle_timeout_ms;
        http_ = std::make_unique<HttpServer>(
            loop, *config.http, http_limits,
            [this](const HttpRequest& request) { return route(request, status_view()); });
    }
    arm_detector();  // Restored hosts have their grace deadlines.
    signals_ = std::make_unique<Signals>(
        loop,
        [this](int signum) {
            log_info("received {}, shutting down", signum == SIGINT ? "SIGINT" : "SIGTERM");
            stop();
        },
        [this] { reload(); });
    const auto report = static_cast<std::uint64_t>(config.report_interval_ms);
    uv_timer_start(report_timer_.get(), &Server::on_report_timer, report, report);
    uv_timer_start(retention_timer_.get(), &Server::on_retention_timer, kSweepIntervalMs,
                   kSweepIntervalMs);
    // The first sample at once, so that the strip shows the restored hosts.
    uv_timer_start(fleet_timer_.get(), &Server::on_fleet_timer, 0, kFleetSampleIntervalMs);
    watchdog_due_ = uv_now(loop) + kWatchdogMs;
    stall_reported_to_ = uv_now(loop);
    uv_timer_start(watchdog_timer_.get(), &Server::on_watchdog_timer, kWatchdogMs, kWatchdogMs);
    uv_unref(watchdog_timer_.base());
    // json: timeout is null when it is 3x each host's interval, and phi_pause is in intervals.
    const PhiSettings& phi = config.detector.phi;
    const ProbeSettings& probe = config.detector.probe;
    // Kept here: a field views its text, which must outlive the log line.
    const std::string detector = find_server_setting("detector")->show(config);
    std::vector<LogField> listening = {
        {"udp", udp_.bound()},
        {"tcp", tcp_->bound()},
        {"binary", binary_ ? LogValue(binary_->bound()) : LogValue("off")},
        {"http", http_ ? LogValue(http_->bound()) : LogValue("off")},
        {"rcvbuf", udp_.rcvbuf_bytes()},
        {"timeout", config.timeout_ms ? LogValue::milliseconds(*config.timeout_ms)
                                      : LogValue::unknown("3x-interval")},
        {"report_interval", LogValue::duration(config.report_interval_ms)},
        {"detector", detector}};
    // The probe detector judges hosts whose agents do not answer by phi.
    if (config.detector.kind != DetectorKind::fixed) {
        listening.emplace_back("phi_threshold", phi.threshold);
        listening.emplace_back("phi_pause",
                               LogValue(phi.pause_intervals).text_suffix("x-interval"));
    }
    if (config.detector.kind == DetectorKind::probe) {
        listening.emplace_back("probe_threshold", probe.threshold);
        listening.emplace_back("probe_budget", probe.budget_per_s);
    }
    log_event(LogLevel::info, "listening", listening);
    if (config.auth == AuthMode::off) {
        log_event(LogLevel::warn,
                  {"authentication_off", "heartbeats are not authenticated: anyone who can reach"},
                  {{"udp", udp_.bound()},
                   text_note("can report any host alive (give --key-file to require signed "
                             "beats)")});
    } else {
        log_event(LogLevel::info, {"authentication", "heartbeat authentication:"},
                  {{"auth", auth_name(config.auth)},
                   {"shared_key", keys_.shared() != nullptr},
                   {"host_keys", keys_.host_keys()},
                   {"max_clock_skew", LogValue::duration(config.max_clock_skew_ms)}});
    }
    if (!is_loopback(config.tcp)) {
        log_warn(
            "tcp side-port bound to {}: the put/get protocol has no authentication, so anyone "
            "who can reach it can read and write every series (bind it to 127.0.0.1 or "
            "firewall it)",
            tcp_->bound());
    }
    if (config.binary && !is_loopback(*config.binary)) {
        log_warn(
            "binary port bound to {}: metric frames carry no authentication, so anyone who can "
            "reach it can write every series (bind it to 127.0.0.1 or firewall it)",
            binary_->bound());
    }
    notifier_ = std::make_unique<SystemdNotifier>(loop);
    notifier_->ready(fmt::format("listening udp={} tcp={}", udp_.bound(), tcp_->bound()));
}

void Server::close_timers() noexcept {
    detector_timer_.close();
    report_timer_.close();
    grace_timer_.close();
    retention_timer_.close();
    watchdog_timer_.close();
    fleet_timer_.close();
    drain_check_.close();
}

void Server::arm_detector() noexcept {
    // While draining, the detector runs once the queue is read (on_drain_check).
    if (stopping_ || draining_since_) return;
    const auto next = monitor_.next_deadline();
    if (!next) {
        if (armed_for_ != 0) uv_timer_stop(detector_timer_.get());
        armed_for_ = 0;
        return;
    }
    const auto deadline = static_cast<std::uint64_t>(*next);
    // Re-arm only when the earliest deadline moved earlier; a later one is found when the timer
    // fires early and re-arms (at most one spare wake-up per deadline).
    if (armed_for_ != 0 && armed_for_ <= deadline) return;
    const std::uint64_t now = uv_now(loop_);
    armed_for_ = deadline;
    detector_due_ = std::max(deadline, now);
    uv_timer_start(detector_timer_.get(), &Server::on_detector_timer,
                   deadline > now ? deadline - now : 0, 0);
}

void Server::on_detector_timer(uv_timer_t* t) noexcept {
    auto* self = static_cast<Server*>(t->data);
    self->armed_for_ = 0;
    const std::uint64_t now = uv_now(self->loop_);
    self->note_lateness(now, self->detector_due_);
    // Beats that arrived before their deadline but wait unread (the loop was busy) must not be
    // judged missing: the detector runs after this turn's reads instead, and again after the
    // next while datagrams are still queued, for at most kMaxDrainMs.
    if (self->udp_.datagrams_pending()) {
        self->draining_since_ = now;
        uv_check_start(self->drain_check_.get(), &Server::on_drain_check);
        return;
    }
    self->judge(now);
}

void Server::on_drain_check(uv_check_t* c) noexcept {
    auto* self = static_cast<Server*>(c->data);
    const std::uint64_t now = uv_now(self->loop_);
    if (self->udp_.datagrams_pending() && now - *self->draining_since_ < kMaxDrainMs) return;
    uv_check_stop(c);
    self->draining_since_.reset();
    self->judge(now);
}

void Server::judge(std::uint64_t now) noexcept {
    try {
        monitor_.expire(static_cast<std::int64_t>(now));
    } catch (const std::exception& e) {
        log_error("failure detector: {}", e.what());
    }
    arm_detector();
}

void Server::on_watchdog_timer(uv_timer_t* t) noexcept {
    auto* self = static_cast<Server*>(t->data);
    const std::uint64_t now = uv_now(self->loop_);
    self->note_lateness(now, self->watchdog_due_);
    self->watchdog_due_ = now + kWatchdogMs;
}

void Server::note_lateness(std::uint64_t now, std::uint64_t due) noexcept {
    const std::uint64_t from = std::max(due, stall_reported_to_);
    if (now < from + kStallMs) return;
    stall_reported_to_ = now;
    try {
        monitor_.server_stalled(static_cast<std::int64_t>(now),
                                static_cast<std::int64_t>(now - from));
    } catch (const std::exception& e) {
        log_error("server stall: {}", e.what());
    }
}

void Server::on_report_timer(uv_timer_t* t) noexcept {
    auto* self = static_cast<Server*>(t->data);
    try {
        self->monitor_.report(static_cast<std::int64_t>(uv_now(self->loop_)));
    } catch (const std::exception& e) {
        log_error("report: {}", e.what());
    }
}

void Server::on_fleet_timer(uv_timer_t* t) noexcept {
    auto* self = static_cast<Server*>(t->data);
    try {
        const Liveness& l = self->monitor_.liveness();
        self->fleet_.push({unix_now_ms(), l.up_count(), l.silent_count()});
    } catch (const std::exception& e) {
        log_error("fleet history: {}", e.what());
    }
}

void Server::on_retention_timer(uv_timer_t* t) noexcept {
    auto* self = static_cast<Server*>(t->data);
    const std::int64_t now_ms = static_cast<std::int64_t>(uv_now(self->loop_));
    const auto r = self->store_.sweep(unix_now_ms() / 1000, kSweepKeys);
    if (r.points_dropped > 0 || r.keys_removed > 0) {
        log_debug("retention: dropped points={} keys={} (visited {})", r.points_dropped,
                  r.keys_removed, r.keys_visited);
    }
    const std::uint64_t refused = self->executor_.stats().key_limit +
                                  self->monitor_.stats().metrics_refused +
                                  self->frame_ingest_.stats().key_limit;
    if (refused != self->key_limit_logged_ && now_ms - self->key_limit_log_ms_ >= 60'000) {
        log_warn(
            "key limit reached: max_keys={} refused_puts={} refused_metrics={} refused_frames={}",
            self->store_.limits().max_keys, self->executor_.stats().key_limit,
            self->monitor_.stats().metrics_refused, self->frame_ingest_.stats().key_limit);
        self->key_limit_logged_ = refused;
        self->key_limit_log_ms_ = now_ms;
    }
}

void Server::reload() noexcept {
    reload_keys();
    reload_plans();
}

void Server::reload_plans() noexcept {
    if (config_.plans_file.empty()) return;
    try {
        use_plans(read_plans(config_.plans_file), true);
    } catch (const std::exception& e) {
        log_error("SIGHUP: keeping the plans in force: {}", e.what());
    }
}

void Server::use_plans(std::shared_ptr<const PlanBook> plans, bool reload) {
    const PlanBook none;
    const PlanChanges changes = compare_plans(monitor_.plans() ? *monitor_.plans() : none, *plans);
    const std::string what = "(" + describe(changes) + ")";
    log_event(LogLevel::info, reload ? "plans_reloaded" : "plans_loaded",
              {{"file", config_.plans_file},
               {"plans", plans->plans().size()},
               {"added", changes.added.size()},
               {"changed", changes.changed.size()},
               {"removed", changes.removed.size()},
               {"unchanged", changes.unchanged},
               text_note(what)});
    for (const std::string& warning : plans->warnings())
        log_warn("plans: {}", warning);
    monitor_.set_plans(std::move(plans));
    plans_loaded_unix_ms_ = unix_now_ms();
}

void Server::reload_keys() noexcept {
    if (config_.key_file.empty()) {
        log_info("SIGHUP: no key file to reload");
        return;
    }
    try {
        // In place: the monitor's policy points at keys_.
        keys_ = KeyRing::load(config_.key_file);
        log_info("SIGHUP: reloaded key file {} shared_key={} host_keys={}", config_.key_file,
                 keys_.shared() != nullptr ? "yes" : "no", keys_.host_keys());
    } catch (const std::exception& e) {
        log_error("SIGHUP: keeping the keys in use: {}", e.what());
    }
}

void Server::stop() {
    if (stopping_) return;
    stopping_ = true;
    if (notifier_) notifier_->stopping();
    udp_.close();
    if (http_) http_->close();
    // Frames have no reply to wait for: those read are stored, the connections go now.
    if (binary_) binary_->close();
    uv_timer_stop(detector_timer_.get());
    uv_timer_stop(report_timer_.get());
    uv_timer_stop(retention_timer_.get());
    uv_timer_stop(watchdog_timer_.get());
    uv_timer_stop(fleet_timer_.get());
    uv_check_stop(drain_check_.get());
    uv_timer_start(grace_timer_.get(), &Server::on_grace_timer, kShutdownGraceMs, 0);
    tcp_->shutdown([this] { finish(); });
}

void Server::on_grace_timer(uv_timer_t* t) noexcept {
    auto* self = static_cast<Server*>(t->data);
    log_warn("shutdown: closing {} connection(s) with unwritten replies",
             self->tcp_->connections());
    self->tcp_->close_all();
    self->finish();
}

void Server::finish() noexcept {
    if (finished_) return;
    finished_ = true;
    close_timers();
    if (storage_) storage_->close();
    if (postgres_) {
        events_.set_second(nullptr);
        postgres_->close();
    }
    signals_->close();
    if (notifier_) notifier_->close();
    log_totals();
}

StatusView Server::status_view() const {
    StatusView v(monitor_, store_, executor_.stats());
    v.tcp = TcpStatus{tcp_->connections(), tcp_->accepted(), tcp_->refused(),
                      tcp_->refused_per_address(), tcp_->closed_idle()};
    if (binary_) {
        v.binary.enabled = true;
        v.binary.connections =
            TcpStatus{binary_->connections(), binary_->accepted(), binary_->refused(),
                      binary_->refused_per_address(), binary_->closed_idle()};
    }
    v.binary.frames = frame_ingest_.stats();
    if (storage_) {
        v.storage = StorageStatus{true, storage_->commits(), storage_->failures(),
                                  storage_->dropped_points()};
    }
    if (postgres_) {
        const PostgresStats pg = postgres_->stats();
        v.postgres =
            PostgresStatus{true,        pg.connected,  pg.waiting, pg.rows_written, pg.batches,
                           pg.failures, pg.reconnects, pg.dropped, pg.last_error};
    }
    if (http_) v.http = http_->stats();
    v.udp_sends_failed = udp_.sends_failed();
    v.plans_loaded_unix_ms = plans_loaded_unix_ms_;
    v.read_process = &read_process_status;
    v.fleet = &fleet_;
    v.now_ms = static_cast<std::int64_t>(uv_now(loop_));
    v.now_unix_ms = unix_now_ms();
    v.version = BEAT_VERSION;
    return v;
}

void Server::log_totals() const {
    const IngestStats& s = monitor_.stats();
    const ProtocolStats& p = executor_.stats();
    // Every counter is a field. The request reasons' keys are built: request_keys holds them,
    // reserved so that they never move while the fields view them.
    std::vector<LogField> fields = {{"datagrams", s.datagrams},
                                    {"accepted", s.accepted},
                                    {"rejected", s.rejected},
                                    {"refused", s.refused},
                                    {"duplicates", s.duplicates},
                                    {"pyheartbeats", s.pyheartbeats},
                                    {"hosts", monitor_.registry().size()},
                                    {"keys", store_.key_count()},
                                    {"points", store_.point_count()},
                                    {"tcp_connections", tcp_->accepted()},
                                    {"tcp_refused", tcp_->refused()},
                                    {"tcp_refused_per_address", tcp_->refused_per_address()},
                                    {"tcp_idle_closed", tcp_->closed_idle()},
                                    {"puts", p.puts},
                                    {"gets", p.gets + p.get_alls},
                                    {"malformed", p.malformed},
                                    {"key_limit", p.key_limit + s.metrics_refused},
                                    {"commits", storage_ ? storage_->commits() : 0},
                                    {"storage_failures", storage_ ? storage_->failures() : 0},
                                    {"storage_dropped", storage_ ? storage_->dropped_points() : 0},
                                    {"http_connections", http_ ? http_->stats().accepted : 0},
                                    {"http_requests", http_ ? http_->stats().requests : 0},
                                    {"acks", s.acks},
                                    {"probes", s.probes},
                                    {"answers", s.answers},
                                    {"plans_sent", s.plans_sent},
                                    {"plans_held", s.plans_held},
                                    {"udp_sends_failed", udp_.sends_failed()},
                                    {"stalls", s.stalls}};
    for (std::size_t i = 1; i < kDecodeErrorCount; ++i) {
        if (s.rejected_by[i] != 0)
            fields.emplace_back(to_string(static_cast<DecodeError>(i)), s.rejected_by[i]);
    }
    for (std::size_t i = 0; i < kRefusalCount; ++i) {
        if (s.refused_by[i] != 0)
            fields.emplace_back(to_string(static_cast<Refusal>(i)), s.refused_by[i]);
    }
    if (postgres_) {
        const PostgresStats pg = postgres_->stats();
        fields.emplace_back("postgres_rows", pg.rows_written);
        fields.emplace_back("postgres_dropped", pg.dropped);
        fields.emplace_back("postgres_failures", pg.failures);
    }
    // Prefixed: request and datagram reasons share some names (bad_value).
    std::vector<std::string> request_keys;
    request_keys.reserve(kRequestErrorCount + kFrameErrorCount);
    for (std::size_t i = 1; i < kRequestErrorCount; ++i) {
        if (p.malformed_by[i] == 0) continue;
        request_keys.push_back(fmt::format("request_{}", to_string(static_cast<RequestError>(i))));
        fields.emplace_back(request_keys.back(), p.malformed_by[i]);
    }
    if (binary_) {
        const FrameStats& f = frame_ingest_.stats();
        fields.emplace_back("binary_connections", binary_->accepted());
        fields.emplace_back("binary_frames", f.stored);
        fields.emplace_back("binary_key_limit", f.key_limit);
        for (std::size_t i = 1; i < kFrameErrorCount; ++i) {
            if (f.malformed_by[i] == 0) continue;
            request_keys.push_back(fmt::format("binary_{}", to_string(static_cast<FrameError>(i))));
            fields.emplace_back(request_keys.back(), f.malformed_by[i]);
        }
    }
    log_event(LogLevel::info, "stopped", fields);
}

}  // namespace beat
