// A host as this server sees it, as a row of beat.hosts. Pure.
#pragma once

#include <cstdint>
#include <string>

#include "beat_server/core/ingest/registry.hpp"

namespace beat {

struct HostRow {
    std::string host;
    std::string state;  // "up", "silent", "flapping", "unknown" or "forgotten".
    std::int64_t last_seen_unix_ms = 0;
    std::string address;  // Where its latest accepted datagram came from.
    std::string detail;   // A JSON object: interval_ms, beats, lost, restarts, duplicates.
};

// The row of `host`; `unix_minus_monotonic_ms` turns the registry's monotonic times into Unix time.
HostRow host_row(const HostRecord& host, std::int64_t unix_minus_monotonic_ms);

}  // namespace beat
