// What the detector simulator simulates: how a fleet's agents beat, how their links lose and delay
// beats, and when hosts really die. Pure data; the standard scenarios are the ones in
// docs/detector.md.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace beat::sim {

// How an agent sends its beats.
struct AgentModel {
    std::uint32_t interval_ms = 1000;  // As advertised.
    double jitter = 0.05;              // The agent's own +-jitter on each interval.
    // Each host's clock runs at a rate drawn uniformly from [min, max]: 1.25 means its timers
    // fire 25% later than they ask, so it really beats every 1.25 advertised intervals.
    double clock_rate_min = 1;
    double clock_rate_max = 1;
    // Stalls (a long GC pause, a busy node): the agent sends nothing for a while, then goes on.
    double stalls_per_hour = 0;
    std::int64_t stall_min_ms = 0;
    std::int64_t stall_max_ms = 0;
};

// How the network treats a beat.
struct LinkModel {
    double loss = 0;  // Independent loss, in the good state.
    // Bursts (Gilbert-Elliott): each beat may start a burst, which lasts a geometric number of
    // beats with this mean, during which beats are lost with burst_loss.
    double burst_start = 0;
    double burst_mean_beats = 0;
    double burst_loss = 0;
    std::int64_t delay_ms = 1;        // One-way delay...
    double delay_jitter_mean_ms = 0;  // ...plus an exponential extra with this mean.
};

// When hosts die for real and come back.
struct Lifecycle {
    double mean_life_hours = 1;          // Time alive before dying: exponential with this mean.
    std::int64_t down_min_ms = 300'000;  // Dead this long (uniform) before the agent restarts.
    std::int64_t down_max_ms = 600'000;
};

struct Scenario {
    std::string name;
    std::string description;
    AgentModel agent;
    LinkModel link;
    Lifecycle life;
};

// The scenarios of the table in docs/detector.md, every host beating every `interval_ms`: clean
// links; 1%, 5% and 20% random loss; bursty loss; delay jitter with multi-second stalls; clock-rate
// differences with 1% loss.
std::vector<Scenario> standard_scenarios(std::uint32_t interval_ms = 1000);

}  // namespace beat::sim
