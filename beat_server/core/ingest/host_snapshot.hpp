// What is kept of a host across a server restart: its identity, where it was last heard, its
// sequence state and counters. Times are Unix milliseconds, so they mean the same to the next
// process. Pure data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "beat_server/core/ingest/source_address.hpp"
#include "beat_server/core/ingest/transition_ring.hpp"

namespace beat {

struct HostSnapshot {
    std::string name;
    SourceAddress address;
    std::uint64_t incarnation = 0;
    std::uint64_t sequence = 0;  // The highest sequence seen from that incarnation.
    std::uint32_t interval_ms = 0;
    std::int64_t first_seen_unix_ms = 0;
    std::int64_t last_seen_unix_ms = 0;
    std::int64_t last_send_time_ms = 0;
    std::uint64_t beats = 0;
    std::uint64_t lost = 0;
    std::uint64_t restarts = 0;
    std::uint64_t duplicates = 0;
    // Its latest transitions, oldest first, in Unix ms. A snapshot taken for storage leaves this
    // empty when they have not changed since the previous one (the stored ones stay).
    std::vector<Transition> transitions;
};

}  // namespace beat
