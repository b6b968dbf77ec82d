// The detector simulator: a fleet of simulated agents beating over simulated links into the real
// Monitor (sequence windows, failure detector, flap damping) on a fake clock, with seeded
// randomness, so that a run is repeatable to the bit. The monitor's acknowledgements and probes
// travel back over the links of the other direction, and the agents answer the probes. It
// measures what an operator would see: how soon real deaths are reported, how many reports are
// false and how long they last, and what the two-way channel costs in bytes.
#pragma once

#include <array>
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
    std::uint64_t beat_bytes = 0;  // Of the beats sent.
    std::uint64_t deaths = 0;
    // Per death reported: from the death to the report that the host is down (silent, or
    // settled silent after flapping), in the host's advertised intervals; 0 when it was already
    // reported silent when it died.
    std::vector<double> detections;
    std::uint64_t missed = 0;          // Deaths not reported before the host restarted or the end.
    std::uint64_t false_silent = 0;    // Silent (or settled silent) reports of live hosts.
    std::uint64_t false_flapping = 0;  // Flapping reports of live hosts.
    // Mistakes: from a silent report of a live host to its report as back (or settled up), or to
    // its real death or the end of the run when either comes first; their number and summed
    // length in the host's advertised intervals.
    std::uint64_t mistakes = 0;
    double mistake_intervals = 0;

    // The two-way channel, as sent (whether the link then carried it or not).
    std::uint64_t acks = 0;
    std::uint64_t ack_bytes = 0;
    std::uint64_t probes = 0;
    std::uint64_t probe_bytes = 0;
    std::uint64_t probes_to_unheard = 0;  // Probes to a host none of whose beats had arrived.
    std::uint64_t answers = 0;            // Sent by agents.
    std::uint64_t answer_bytes = 0;
    std::uint64_t server_stalls = 0;  // Stalls of the server's loop reported to the monitor.
    IngestStats monitor;              // The monitor's own counters at the end.
    // Hosts judged by each JudgedBy (fixed, phi, probe) at the end.
    std::array<std::size_t, 3> judged{};

    // `count` per 1,000 alive host-hours.
    double per_1000_host_hours(std::uint64_t count) const noexcept;
    // The q-quantile (0..1) of the detection times, or NaN without any.
    double detection_quantile(double q) const;
    // The mean mistake length in intervals, or NaN without any mistake.
    double mean_mistake_intervals() const noexcept;
    // Probe and answer bytes, and acknowledgement bytes, as a share of the beat bytes.
    double probe_share() const noexcept;
    double ack_share() const noexcept;
};

// Runs `scenario` for `options.hosts` hosts over `options.hours` with a monitor configured by
// `config`. When the agents beat and die and which beats are lost depends only on the scenario,
// the seed and the host count, not on the detector, so two detectors run with the same seed see
// the same beats and deaths; acknowledgements, probes and answers draw from streams of their
// own. One exception: on a bursty link to the server (burst_start > 0) an answer advances the
// chain that the beats share, and the beats' draws, which come from the agent's stream, then
// depend on the chain's state, so with answering agents the fleet differs in its details
// (the same rates, other deaths) between a detector that probes and one that does not.
RunResult run(const Scenario& scenario, const MonitorConfig& config, const RunOptions& options);

}  // namespace beat::sim
