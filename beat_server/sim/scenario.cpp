#include "beat_server/sim/scenario.hpp"

namespace beat::sim {
namespace {

// Appends a scenario with agents beating every `interval_ms` and returns it for its settings.
Scenario& add(std::vector<Scenario>& out, std::uint32_t interval_ms, std::string name,
              std::string description) {
    Scenario& s = out.emplace_back();
    s.name = std::move(name);
    s.description = std::move(description);
    s.agent.interval_ms = interval_ms;
    return s;
}

// A link losing `average` of its datagrams, all of them in bad spells of `mean_packets` on
// average. With the chain of LinkModel a datagram finds the link bad with chance
// p / (p + r - p r) (p = burst_start, r = 1 / mean_packets); this solves that for p.
LinkModel bursty(double average, double mean_packets) {
    LinkModel l;
    const double r = 1 / mean_packets;
    l.burst_start = average * r / (1 - average + average * r);
    l.burst_mean_packets = mean_packets;
    l.burst_loss = 1;
    return l;
}

}  // namespace

std::vector<Scenario> standard_scenarios(std::uint32_t interval_ms) {
    const auto interval = static_cast<std::int64_t>(interval_ms);
    std::vector<Scenario> out;
    add(out, interval_ms, "clean", "no loss, +-5% agent jitter");
    add(out, interval_ms, "loss 1%", "1% of beats lost at random").to_server.loss = 0.01;
    add(out, interval_ms, "loss 5%", "5% of beats lost at random").to_server.loss = 0.05;
    add(out, interval_ms, "loss 20%", "20% of beats lost at random").to_server.loss = 0.20;
    {
        Scenario& s = add(out, interval_ms, "bursty",
                          "0.1% loss; bursts of 50% loss, 20 beats long, 1 per 500 beats");
        s.to_server.loss = 0.001;
        s.to_server.burst_start = 1.0 / 500;
        s.to_server.burst_mean_packets = 20;
        s.to_server.burst_loss = 0.5;
    }
    {
        Scenario& s = add(out, interval_ms, "stalls",
                          "delay jitter (exponential, mean 10% of the interval); stalls of 1-5 "
                          "intervals, 1 per host-hour");
        s.to_server.delay_jitter_mean_ms = 0.1 * static_cast<double>(interval);
        s.agent.stalls_per_hour = 1;
        s.agent.stall_min_ms = interval;
        s.agent.stall_max_ms = 5 * interval;
    }
    {
        Scenario& s = add(out, interval_ms, "clock rates",
                          "timers 0.8x-1.25x the advertised interval; 1% loss");
        s.agent.clock_rate_min = 0.8;
        s.agent.clock_rate_max = 1.25;
        s.to_server.loss = 0.01;
    }
    return out;
}

std::vector<Scenario> probe_scenarios(std::uint32_t interval_ms) {
    const auto interval = static_cast<std::int64_t>(interval_ms);
    std::vector<Scenario> out;
    add(out, interval_ms, "clean", "no loss either way, +-5% agent jitter");
    {
        Scenario& s = add(out, interval_ms, "5% each way", "5% lost at random each way");
        s.to_server.loss = s.to_agent.loss = 0.05;
    }
    {
        Scenario& s = add(out, interval_ms, "20% each way", "20% lost at random each way");
        s.to_server.loss = s.to_agent.loss = 0.20;
    }
    {
        Scenario& s =
            add(out, interval_ms, "bursty 5%",
                "5% lost each way, in bursts of 3 datagrams on average (Gilbert-Elliott)");
        s.to_server = s.to_agent = bursty(0.05, 3);
    }
    {
        Scenario& s = add(out, interval_ms, "server stalls 5 s",
                          "clean links; the server's loop stalls 5 s every 10 minutes");
        s.server.stall_every_ms = 600'000;
        s.server.stall_ms = 5'000;
    }
    {
        Scenario& s = add(out, interval_ms, "agent stalls",
                          "clean links; agents stall 1-5 intervals, 1 per host-hour");
        s.agent.stalls_per_hour = 1;
        s.agent.stall_min_ms = interval;
        s.agent.stall_max_ms = 5 * interval;
    }
    {
        Scenario& s = add(out, interval_ms, "one-way",
                          "nothing reaches the agents; 5% of beats lost at random");
        s.to_agent.loss = 1;
        s.to_server.loss = 0.05;
    }
    return out;
}

}  // namespace beat::sim
