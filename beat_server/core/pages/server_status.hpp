// What the HTTP port reports about the server: the core's state, read in place, and the I/O
// side's counters, copied when the request is answered. Pure data.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "beat_server/core/ingest/ingest_stats.hpp"
#include "beat_server/core/ingest/monitor.hpp"
#include "beat_server/core/pages/fleet_history.hpp"
#include "beat_server/core/query/frame_ingest.hpp"
#include "beat_server/core/query/protocol_stats.hpp"
#include "beat_server/core/store/store.hpp"

namespace beat {

struct TcpStatus {
    std::size_t open = 0;                   // Connections open now.
    std::uint64_t accepted = 0;             // Connections accepted since start.
    std::uint64_t refused = 0;              // Closed at once beyond --max-connections.
    std::uint64_t refused_per_address = 0;  // Closed at once beyond the per-address limit.
    std::uint64_t closed_idle = 0;          // Closed after --tcp-idle-timeout.
};

// The --binary port: its connections, and what became of the frames they sent.
struct BinaryStatus {
    bool enabled = false;
    TcpStatus connections;  // As the put/get port counts its own.
    FrameStats frames;
};

struct StorageStatus {
    bool enabled = false;
    std::uint64_t commits = 0;         // Batches committed.
    std::uint64_t failures = 0;        // Commits that failed (retried).
    std::uint64_t dropped_points = 0;  // Points given up on after the retries.
};

// The PostgreSQL sink (--postgres), as its writer counts.
struct PostgresStatus {
    bool enabled = false;
    bool connected = false;
    std::size_t waiting_points = 0;    // Handed to the writer, not yet written.
    std::uint64_t rows_written = 0;    // Rows upserted.
    std::uint64_t batches = 0;         // Upserts (chunks) written.
    std::uint64_t failures = 0;        // Failed connections and statements.
    std::uint64_t reconnects = 0;      // Connections after the first.
    std::uint64_t dropped_points = 0;  // Queue full, or still waiting at shutdown.
    std::string last_error;            // Empty: none.
};

struct HttpStats {
    std::size_t open = 0;           // Connections open now.
    std::uint64_t accepted = 0;     // Connections accepted since start.
    std::uint64_t refused = 0;      // Closed at once beyond the connection limit.
    std::uint64_t closed_idle = 0;  // Closed after the idle timeout.
    std::uint64_t requests = 0;     // Requests answered, well-formed or not.
    // Responses by status class: index 1 = 1xx ... 5 = 5xx (0 unused).
    std::array<std::uint64_t, 6> responses_by_class{};
};

// The process collector's figures (Prometheus' process_* names); unset when /proc did not tell.
struct ProcessStatus {
    std::optional<double> cpu_seconds;         // User + system time.
    std::optional<double> resident_bytes;      // RSS.
    std::optional<double> virtual_bytes;       // VSZ.
    std::optional<double> start_time_seconds;  // Unix time the process started.
    std::optional<double> open_fds;
    std::optional<double> max_fds;  // The soft RLIMIT_NOFILE.
};

// Everything a status request reads. `monitor`, `store` and `protocol` must outlive it.
struct StatusView {
    StatusView(const Monitor& m, const Store& s, const ProtocolStats& p) noexcept
        : monitor(m), store(s), protocol(p) {}

    const Monitor& monitor;
    const Store& store;
    const ProtocolStats& protocol;
    TcpStatus tcp;
    BinaryStatus binary;
    StorageStatus storage;
    PostgresStatus postgres;
    HttpStats http;
    std::uint64_t udp_sends_failed = 0;  // Acknowledgements and probes the socket did not send.
    // When the plans in force (the monitor's) were read, Unix ms; unset without a plans file.
    std::optional<std::int64_t> plans_loaded_unix_ms;
    // Reads the process collector's figures; called only by the pages that show them (/metrics),
    // since it reads /proc. Unset: no process figures.
    std::function<ProcessStatus()> read_process;
    // How many hosts were up over the last day, for the status page; null: not sampled.
    const FleetHistory* fleet = nullptr;
    std::int64_t now_ms = 0;       // The monitor's monotonic clock.
    std::int64_t now_unix_ms = 0;  // The same moment in Unix time.
    std::string version;           // beat's version, e.g. "0.1.0".
};

// A time of the monitor's monotonic clock as Unix milliseconds, given the view's two clocks.
inline std::int64_t to_unix_ms(const StatusView& v, std::int64_t monotonic_ms) noexcept {
    return v.now_unix_ms - (v.now_ms - monotonic_ms);
}

// A time or duration in milliseconds as seconds, the unit the pages show.
inline double to_seconds(std::int64_t ms) noexcept {
    return static_cast<double>(ms) / 1000.0;
}

}  // namespace beat
