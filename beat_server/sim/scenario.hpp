// What the detector simulator simulates: how a fleet's agents beat and answer probes, how the
// links of each direction lose and delay datagrams, when the server's own loop stalls, and when
// hosts really die. Pure data; the two sets of standard scenarios are the ones in
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
    // Whether the agent answers the server's probes (older agents do not). A live agent that is
    // not stalled answers a probe as soon as it arrives; a stalled one drops it.
    bool answers = true;
};

// How the network treats the datagrams of one direction: a Gilbert-Elliott chain that every
// datagram in that direction advances (like netem's gemodel). Before each datagram a good link
// turns bad with burst_start; the datagram is lost with burst_loss when bad, with loss when good;
// after it a bad link turns good with 1 / burst_mean_packets, so a bad spell lasts
// burst_mean_packets datagrams on average.
struct LinkModel {
    double loss = 0;
    double burst_start = 0;
    double burst_mean_packets = 0;
    double burst_loss = 0;
    std::int64_t delay_ms = 1;        // One-way delay...
    double delay_jitter_mean_ms = 0;  // ...plus an exponential extra with this mean.
};

// The server's own event loop: once every stall_every_ms (the first one stall_every_ms after the
// start) it stalls for stall_ms. Meanwhile no timer runs and arriving datagrams wait unread.
struct ServerModel {
    std::int64_t stall_every_ms = 0;  // 0: never stalls.
    std::int64_t stall_ms = 0;
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
    LinkModel to_server;  // Beats and answers.
    LinkModel to_agent;   // Acknowledgements and probes.
    ServerModel server;
    Lifecycle life;
};

// The scenarios of the detector table in docs/detector.md, every host beating every
// `interval_ms`, with clean links towards the agents: clean links; 1%, 5% and 20% random loss;
// bursty loss; delay jitter with multi-second stalls; clock-rate differences with 1% loss.
std::vector<Scenario> standard_scenarios(std::uint32_t interval_ms = 1000);

// The scenarios of the two-way channel's table in docs/detector.md (--set probe): clean links;
// 5% and 20% random loss each way; bursts of 3 datagrams on average making 5% loss each way;
// a server whose loop stalls 5 s every 10 minutes; agents stalling 1-5 intervals once per
// host-hour; one-way hosts, which hear nothing from the server and lose 5% of their beats.
std::vector<Scenario> probe_scenarios(std::uint32_t interval_ms = 1000);

}  // namespace beat::sim
