// Counters the monitor keeps about the datagrams it was given, by cause.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/wire.hpp"

namespace beat {

// Why a datagram that decoded was still refused. Each changes nothing but these counters.
enum class Refusal : std::uint8_t {
    auth_missing,  // No tag, while --auth required.
    auth_no_key,   // Tagged, but the key file holds no key for its host.
    auth_bad_tag,  // The tag does not match (altered, another key, another host's key).
    replay,        // An earlier incarnation of the agent, or an exact repeat.
    clock_skew,    // A tagged beat whose send time is further from the server's clock than
                   // --max-clock-skew allows (an old capture sent again).
    host_limit,    // A new host beyond --max-hosts.
};
inline constexpr std::size_t kRefusalCount = 6;

// A stable lower-case name for each refusal, used in logs and stats.
constexpr std::string_view to_string(Refusal r) noexcept {
    switch (r) {
        case Refusal::auth_missing:
            return "auth_missing";
        case Refusal::auth_no_key:
            return "auth_no_key";
        case Refusal::auth_bad_tag:
            return "auth_bad_tag";
        case Refusal::replay:
            return "replay";
        case Refusal::clock_skew:
            return "clock_skew";
        case Refusal::host_limit:
            return "host_limit";
    }
    return "unknown";
}

struct IngestStats {
    std::uint64_t datagrams = 0;  // Read from the UDP socket.
    std::uint64_t accepted = 0;   // Decoded and applied to a host.
    std::uint64_t rejected = 0;   // Failed to decode; by reason in `rejected_by`.
    std::array<std::uint64_t, kDecodeErrorCount> rejected_by{};
    std::uint64_t refused = 0;  // Decoded but refused; by reason in `refused_by`.
    std::array<std::uint64_t, kRefusalCount> refused_by{};
    std::uint64_t duplicates = 0;       // Decoded but already seen (or older than the window).
    std::uint64_t late = 0;             // Accepted out of order.
    std::uint64_t pyheartbeats = 0;     // PyHeartBeat datagrams accepted (counted in accepted).
    std::uint64_t metrics = 0;          // Metric values stored.
    std::uint64_t metrics_refused = 0;  // Not stored: their key would exceed --max-keys.
    // Neither stored nor kept as the latest value: their name would exceed
    // --max-metrics-per-host for their host.
    std::uint64_t metrics_host_limit = 0;
    std::uint64_t metric_names_released = 0;  // Host metric slots released after --retention.

    // The two-way channel (common/control.hpp).
    std::uint64_t acks = 0;                // Acknowledgements sent.
    std::uint64_t probes = 0;              // Probes sent (suspicions and discovery).
    std::uint64_t probes_over_budget = 0;  // Probes not sent: the budget per second was spent.
    std::uint64_t answers = 0;             // Answers matched to a probe still open.
    std::uint64_t answers_stale = 0;       // Answers to no open probe (late, or forged).
    std::uint64_t answers_refused = 0;     // Answers failing --auth, or for an unknown host.
    std::uint64_t stalls = 0;              // Stalls of the server's own loop (ServerStalled).
    std::uint64_t plans_sent = 0;          // Plans sent to agents (README "Plans").
    // Plans not sent: their host had been sent kMaxPlanSends in the last minute.
    std::uint64_t plans_held = 0;
};

}  // namespace beat
