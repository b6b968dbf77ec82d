#include "beat_server/sim/scenario.hpp"

namespace beat::sim {

std::vector<Scenario> standard_scenarios(std::uint32_t interval_ms) {
    const auto interval = static_cast<std::int64_t>(interval_ms);
    std::vector<Scenario> out;
    auto add = [&](std::string name, std::string description) -> Scenario& {
        Scenario& s = out.emplace_back();
        s.name = std::move(name);
        s.description = std::move(description);
        s.agent.interval_ms = interval_ms;
        return s;
    };
    add("clean", "no loss, +-5% agent jitter");
    add("loss 1%", "1% of beats lost at random").link.loss = 0.01;
    add("loss 5%", "5% of beats lost at random").link.loss = 0.05;
    add("loss 20%", "20% of beats lost at random").link.loss = 0.20;
    {
        Scenario& s =
            add("bursty", "0.1% loss; bursts of 50% loss, 20 beats long, 1 per 500 beats");
        s.link.loss = 0.001;
        s.link.burst_start = 1.0 / 500;
        s.link.burst_mean_beats = 20;
        s.link.burst_loss = 0.5;
    }
    {
        Scenario& s = add("stalls",
                          "delay jitter (exponential, mean 10% of the interval); stalls of 1-5 "
                          "intervals, 1 per host-hour");
        s.link.delay_jitter_mean_ms = 0.1 * static_cast<double>(interval);
        s.agent.stalls_per_hour = 1;
        s.agent.stall_min_ms = interval;
        s.agent.stall_max_ms = 5 * interval;
    }
    {
        Scenario& s = add("clock rates", "timers 0.8x-1.25x the advertised interval; 1% loss");
        s.agent.clock_rate_min = 0.8;
        s.agent.clock_rate_max = 1.25;
        s.link.loss = 0.01;
    }
    return out;
}

}  // namespace beat::sim
