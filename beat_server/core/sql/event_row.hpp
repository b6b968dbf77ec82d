// A host event (new, restarted, silent, back, flapping, settled, forgotten) as a row of
// beat.host_events. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "beat_server/core/ingest/events.hpp"

namespace beat {

struct EventRow {
    std::int64_t unix_ms = 0;  // When it happened.
    std::string host;
    std::string event;  // "new", "restarted", "silent", "back", "flapping", "settled", "forgotten".
    std::string address;  // Where the host's latest datagram came from.
    std::string detail;   // A JSON object of the event's figures (durations in milliseconds).
};

// The row of `event`, or nullopt for an event that is not about one host's state (a refused
// datagram, a stall, the summary). `unix_minus_monotonic_ms` turns the event's monotonic time into
// Unix time.
std::optional<EventRow> event_row(const Event& event, std::int64_t unix_minus_monotonic_ms);

}  // namespace beat
