// How many hosts were up over the last day, sampled periodically, for the status page's fleet
// strip. Pure: the caller samples at the times it chooses (the server's timer, every
// kFleetSampleIntervalMs).
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/bounded_ring.hpp"

namespace beat {

inline constexpr std::int64_t kFleetSampleIntervalMs = 5 * 60'000;

struct FleetSample {
    std::int64_t at_unix_ms = 0;
    std::size_t up = 0;
    std::size_t silent = 0;

    bool operator==(const FleetSample&) const = default;
};

// The latest samples, a day at one every 5 minutes, oldest first. Kept in memory only: a restarted
// server starts with none.
using FleetHistory = BoundedRing<FleetSample, 288>;

}  // namespace beat
