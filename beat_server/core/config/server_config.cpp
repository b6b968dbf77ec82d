#include "beat_server/core/config/server_config.hpp"

#include <CLI/CLI.hpp>

#include "common/duration.hpp"

namespace beat {
namespace {

// Validates a duration option and converts it to milliseconds.
std::int64_t duration_option(const std::string& name, const std::string& text,
                             std::int64_t min_ms) {
    const auto ms = parse_duration_ms(text);
    if (!ms)
        throw CLI::ValidationError(name, "'" + text + "' is not a duration (e.g. 20, 0.5, 250ms)");
    if (*ms < min_ms) {
        throw CLI::ValidationError(
            name, "'" + text + "' is below the minimum of " + format_duration(min_ms));
    }
    return *ms;
}

Endpoint endpoint_option(const std::string& name, const std::string& text) {
    auto e = parse_endpoint(text);
    if (!e) throw CLI::ValidationError(name, "'" + text + "' is not ADDR:PORT");
    return *e;
}

}  // namespace

ParsedArgs parse_server_args(int argc, const char* const* argv) {
    ServerConfig cfg;
    CLI::App app{
        "beat_server: receives UDP heartbeats, reports silent hosts, serves put/get on TCP"};
    app.set_version_flag("--version", std::string("beat_server ") + BEAT_VERSION);
    std::string udp = to_string(cfg.udp), tcp = to_string(cfg.tcp);
    std::string timeout, report = "20", forget = "86400", level = "info";
    app.add_option("--udp", udp, "UDP heartbeat listener ADDR:PORT")->capture_default_str();
    app.add_option("--tcp", tcp, "TCP put/get listener ADDR:PORT")->capture_default_str();
    std::string http = to_string(*cfg.http), log_format = "text";
    app.add_option("--http", http,
                   "HTTP listener ADDR:PORT for /metrics, /hosts, /healthz and the status page, or "
                   "'off'")
        ->capture_default_str();
    app.add_option("--timeout", timeout,
                   "Seconds without a beat before a host is silent, for the fixed detector; also "
                   "the grace of a host restored at start-up [default: 3 x its interval]");
    std::string detector;
    app.add_option("--detector", detector,
                   "phi: phi accrual, adapting to each host's rhythm and loss; fixed: the "
                   "timeout [default: fixed]")
        ->check(CLI::IsMember({"fixed", "phi"}));
    app.add_option("--phi-threshold", cfg.detector.phi.threshold,
                   "phi at which a host is silent (about one false report in 10^N beats)")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 16.0));
    app.add_option("--phi-pause", cfg.detector.phi.pause_intervals,
                   "Pause a host may take without being silent, in its own intervals")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 100.0));
    app.add_option("--flap-silences", cfg.detector.flap.silences,
                   "Silences within 20 timeouts that make a host flapping (0: no flap damping)")
        ->capture_default_str()
        ->check(CLI::Range(std::uint32_t{0}, FlapSettings::kMaxSilences));
    app.add_option("--report-interval", report, "Seconds between silent-host summaries")
        ->capture_default_str();
    app.add_option("--forget-after", forget, "Seconds of silence before a host is forgotten")
        ->capture_default_str();
    app.add_option("--max-connections", cfg.max_connections, "Concurrent TCP connections")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
    app.add_option("--max-connections-per-address", cfg.max_connections_per_address,
                   "Concurrent TCP connections from one IP address")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
    std::string idle = "300", http_idle = "60", skew = "300", auth;
    app.add_option("--tcp-idle-timeout", idle,
                   "Seconds a TCP connection may stay idle before it is closed")
        ->capture_default_str();
    app.add_option("--http-idle-timeout", http_idle,
                   "Seconds an HTTP connection may stay idle before it is closed")
        ->capture_default_str();
    app.add_option("--max-hosts", cfg.max_hosts,
                   "Hosts tracked; beats from further new hosts are refused")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}));
    app.add_option("--key-file", cfg.key_file,
                   "Heartbeat keys: a shared key line and/or 'host key' lines (see README)");
    app.add_option("--auth", auth,
                   "required|optional|off [default: required with --key-file, off without]")
        ->check(CLI::IsMember({"required", "optional", "off"}));
    app.add_option("--max-clock-skew", skew,
                   "Seconds an authenticated beat's send time may differ from the server's clock")
        ->capture_default_str();
    std::string durability = "batch", retention = "7d";
    app.add_option("--data-dir", cfg.data_dir,
                   "Directory of the SQLite database (beat.db); '' keeps everything in memory")
        ->capture_default_str();
    app.add_option("--durability", durability,
                   "batch: ok at once, committed every second; sync: ok after commit; off: memory "
                   "only")
        ->capture_default_str()
        ->check(CLI::IsMember({"batch", "sync", "off"}));
    app.add_option("--retention", retention, "How long stored points are kept")
        ->capture_default_str();
    app.add_option("--max-points-per-key", cfg.limits.max_points_per_key,
                   "Points kept per key, the newest")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}));
    app.add_option("--max-keys", cfg.limits.max_keys, "Keys stored; puts for more are refused")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{100'000'000}));
    app.add_option("--log-level", level, "debug|info|warn|error")
        ->capture_default_str()
        ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
    app.add_option("--log-format", log_format,
                   "text: one key=value line per event; json: one JSON object per line")
        ->capture_default_str()
        ->check(CLI::IsMember({"text", "json"}));
    try {
        app.parse(argc, argv);
        cfg.udp = endpoint_option("--udp", udp);
        cfg.tcp = endpoint_option("--tcp", tcp);
        if (http == "off") {
            cfg.http.reset();
        } else {
            cfg.http = endpoint_option("--http", http);
        }
        if (!timeout.empty()) cfg.timeout_ms = duration_option("--timeout", timeout, 10);
        if (detector == "fixed" || (detector.empty() && cfg.timeout_ms)) {
            cfg.detector.kind = DetectorKind::fixed;
        } else if (detector == "phi") {
            cfg.detector.kind = DetectorKind::phi;
        }
        if (cfg.detector.flap.silences == 1)
            throw CLI::ValidationError("--flap-silences", "'1' would call every silence a flap");
        cfg.report_interval_ms = duration_option("--report-interval", report, 100);
        cfg.forget_after_ms = duration_option("--forget-after", forget, 1000);
        cfg.log_level = *parse_log_level(level);
        cfg.log_format = *parse_log_format(log_format);
        cfg.durability = durability == "sync"  ? Durability::sync
                         : durability == "off" ? Durability::off
                                               : Durability::batch;
        cfg.tcp_idle_timeout_ms = duration_option("--tcp-idle-timeout", idle, 100);
        cfg.http_idle_timeout_ms = duration_option("--http-idle-timeout", http_idle, 100);
        cfg.max_clock_skew_ms = duration_option("--max-clock-skew", skew, 1000);
        cfg.auth = auth == "required"     ? AuthMode::required
                   : auth == "optional"   ? AuthMode::optional
                   : auth == "off"        ? AuthMode::off
                   : cfg.key_file.empty() ? AuthMode::off
                                          : AuthMode::required;
        if (cfg.auth != AuthMode::off && cfg.key_file.empty())
            throw CLI::ValidationError("--auth", "'" + auth + "' needs --key-file");
        cfg.limits.retention_s = duration_option("--retention", retention, 1000) / 1000;
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    return cfg;
}

}  // namespace beat
