// beat_server's settings: one struct holding the defaults, filled from the config file and then the
// command line through the table of server_settings.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "beat_server/core/detect/liveness.hpp"
#include "beat_server/core/ingest/auth_policy.hpp"
#include "beat_server/core/store/store.hpp"
#include "common/endpoint.hpp"
#include "common/log.hpp"

namespace beat {

// How puts and heartbeat metrics reach the disk.
enum class Durability {
    off,    // Memory only: nothing is written, nothing is loaded.
    batch,  // "ok" at once; batches are committed at least every second.
    sync,   // "ok" once the transaction holding the put has committed (group commit).
};

// The PostgreSQL sink (off while conninfo is empty). Every stored point is written to the
// schema beat within about batch_ms of being stored, or counted as dropped and logged.
struct PostgresSettings {
    std::string conninfo;
    std::int64_t batch_ms = 1000;
    // Points waiting for the database (away, or slower than the puts) beyond which newer ones
    // are dropped and counted.
    std::size_t max_waiting_points = 2'000'000;
};

struct ServerConfig {
    Endpoint udp{"0.0.0.0", 43278};
    Endpoint tcp{"127.0.0.1", 8888};
    // The TCP port for collectors' binary metric frames (common/binary_frame.hpp); unset: none.
    std::optional<Endpoint> binary;
    // The HTTP port (/metrics, /hosts, /healthz, the status page); unset with --http off. 43279
    // sits beside the UDP port and outside Prometheus' exporter range (9100-9999).
    std::optional<Endpoint> http = Endpoint{"127.0.0.1", 43279};
    std::int64_t http_idle_timeout_ms = 60'000;  // An HTTP connection idle this long is closed.
    std::optional<std::int64_t> timeout_ms;      // Unset: 3 x each host's interval.
    // --detector (probe unless --timeout alone picks fixed), --phi-threshold, --phi-pause,
    // --probe-threshold, --probe-budget, --flap-silences.
    DetectorConfig detector = [] {
        DetectorConfig d;
        d.kind = DetectorKind::probe;
        return d;
    }();
    std::int64_t report_interval_ms = 20'000;
    std::int64_t forget_after_ms = 86'400'000;
    std::size_t max_connections = 1024;
    std::size_t max_connections_per_address = 128;  // Concurrent TCP connections from one IP.
    std::int64_t tcp_idle_timeout_ms = 300'000;     // A connection idle this long is closed.
    std::size_t max_hosts = 100'000;  // Beats from hosts beyond this many are refused.
    std::string key_file;             // Empty: no keys.
    AuthMode auth = AuthMode::off;    // Default: required when key_file is set, off otherwise.
    std::int64_t max_clock_skew_ms = 300'000;  // Tagged beats: |agent clock - server clock|.
    // The plans file (README "Plans"), reread on SIGHUP. Empty: none, so no host has a plan.
    std::string plans_file;
    // The interval of hosts beating with PyHeartBeat datagrams, which carry none: its own 5 s.
    std::int64_t legacy_interval_ms = 5'000;
    std::size_t udp_rcvbuf_bytes = 32 * 1024 * 1024;
    LogLevel log_level = LogLevel::info;
    LogFormat log_format = LogFormat::text;
    std::string data_dir = "./beat-data";  // Empty: memory only, as with Durability::off.
    Durability durability = Durability::batch;
    RetentionLimits limits;  // --retention, --max-points-per-key, --max-keys.
    // Metric names one host may have at once; values under further names are refused. A name
    // no beat of its host has carried for limits.retention_s is released.
    std::size_t max_metrics_per_host = 256;

    PostgresSettings postgres;  // --postgres, --postgres-batch, --postgres-queue.

    bool persistent() const noexcept { return durability != Durability::off && !data_dir.empty(); }
};

// The outcome of reading the command line: a config to run with, or an exit code (0 after
// --help/--version, 2 on bad usage) with the text already printed.
using ParsedArgs = std::variant<ServerConfig, int>;

// Reads the config file at `path`: its text, or nullopt with `error` saying why. Reading is the
// caller's I/O (main.cpp reads the file; tests hand over text).
using ConfigFileReader =
    std::function<std::optional<std::string>(const std::string& path, std::string& error)>;

// Parses beat_server's command line: the settings of the file named by --config (read with
// `read_config`), then the flags over them. Never throws; usage errors are printed to stderr with
// a message naming the option or key (and the file).
ParsedArgs parse_server_args(int argc, const char* const* argv,
                             const ConfigFileReader& read_config);

}  // namespace beat
