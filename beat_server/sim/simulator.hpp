// The detector simulator: a fleet of simulated agents beating over simulated links into the real
// Monitor (sequence windows, failure detector, flap damping) on a fake clock, with seeded
// randomness, so that a run is repeatable to the bit. It measures what an operator would see:
// how soon real deaths are reported and how many reports are false.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "beat_server/core/ingest/monitor.hpp"
#include "beat_server/sim/scenario.hpp"

namespace beat::sim {

struct RunOptions {
    std::size_t hosts = 100;
    double hours = 12;  // Simulated time; with the default lifecycle ~90% of it is alive.
    std::uint64_t seed = 1;
};

struct RunResult {
    double alive_host_hours = 0;  // Time the hosts were alive, summed over hosts.
    std::uint64_t beats_sent = 0;
    std::uint64_t beats_lost = 0;
    std::uint64_t deaths = 0;
    // Per death reported: from the death to the report that the host is down (silent, or
    // settled silent after flapping), in the host's advertised intervals; 0 when it was already
    // reported silent when it died.
    std::vector<double> detections;
    std::uint64_t missed = 0;          // Deaths not reported before the host restarted or the end.
    std::uint64_t false_silent = 0;    // Silent (or settled silent) reports of live hosts.
    std::uint64_t false_flapping = 0;  // Flapping reports of live hosts.

    // `count` per 1,000 alive host-hours.
    double per_1000_host_hours(std::uint64_t count) const noexcept;
    // The q-quantile (0..1) of the detection times, or NaN without any.
    double detection_quantile(double q) const;
};

// Runs `scenario` for `options.hosts` hosts over `options.hours` with a monitor configured by
// `config`. The fleet's behaviour depends only on the scenario, the seed and the host count, not
// on the detector, so two detectors run with the same seed see exactly the same beats and deaths.
RunResult run(const Scenario& scenario, const MonitorConfig& config, const RunOptions& options);

}  // namespace beat::sim
