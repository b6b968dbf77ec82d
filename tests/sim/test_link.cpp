#include <catch2/catch.hpp>

#include <algorithm>

#include "beat_server/sim/link.hpp"

using namespace beat;
using namespace beat::sim;

namespace {

const LinkModel& to_server_of(const std::string& name) {
    static const std::vector<Scenario> all = probe_scenarios();
    for (const Scenario& s : all) {
        if (s.name == name) return s.to_server;
    }
    FAIL("no scenario " << name);
    return all.front().to_server;
}

struct Losses {
    double share = 0;     // Of the datagrams lost.
    double mean_run = 0;  // Datagrams lost in a row, on average over the runs of losses.
    std::int64_t max_delay = 0;
};

Losses carry_many(const LinkModel& l, int datagrams) {
    LinkChain chain;
    Random rng(3);
    int lost = 0;
    int runs = 0;
    bool in_run = false;
    Losses out;
    for (int i = 0; i < datagrams; ++i) {
        const auto delay = chain.carry(l, rng);
        if (!delay) {
            ++lost;
            if (!in_run) ++runs;
        } else {
            out.max_delay = std::max(out.max_delay, *delay);
        }
        in_run = !delay;
    }
    out.share = static_cast<double>(lost) / datagrams;
    out.mean_run = runs > 0 ? static_cast<double>(lost) / runs : 0;
    return out;
}

}  // namespace

TEST_CASE("independent loss loses its share of the datagrams, one at a time as chance has it",
          "[link]") {
    const Losses l = carry_many(to_server_of("20% each way"), 1'000'000);
    CHECK(l.share == Approx(0.20).margin(0.002));
    // Runs of independent losses at 20% last 1 / 0.8 datagrams on average.
    CHECK(l.mean_run == Approx(1.25).margin(0.02));
    CHECK(l.max_delay == 1);
}

TEST_CASE("the bursty link loses 5% of the datagrams in bursts of about 3", "[link]") {
    const Losses l = carry_many(to_server_of("bursty 5%"), 1'000'000);
    CHECK(l.share == Approx(0.05).margin(0.002));
    // A bad spell lasts 3 datagrams on average; one may start again right after another ends
    // (with the 1.7% chance of a good link turning bad), so runs of losses last 3 / (1 - 0.017).
    CHECK(l.mean_run == Approx(3.05).margin(0.1));
}

TEST_CASE("a one-way link carries nothing to the agents", "[link]") {
    static const std::vector<Scenario> all = probe_scenarios();
    const auto one_way =
        std::find_if(all.begin(), all.end(), [](const Scenario& s) { return s.name == "one-way"; });
    REQUIRE(one_way != all.end());
    CHECK(carry_many(one_way->to_agent, 10'000).share == 1);
    CHECK(carry_many(one_way->to_server, 100'000).share == Approx(0.05).margin(0.005));
}

TEST_CASE("delay jitter adds an exponential extra to the link's delay", "[link]") {
    LinkModel l;
    l.delay_ms = 10;
    l.delay_jitter_mean_ms = 100;
    LinkChain chain;
    Random rng(5);
    double sum = 0;
    std::int64_t least = 1'000;
    for (int i = 0; i < 100'000; ++i) {
        const auto delay = chain.carry(l, rng);
        REQUIRE(delay);
        sum += static_cast<double>(*delay);
        least = std::min(least, *delay);
    }
    CHECK(least == 10);
    CHECK(sum / 100'000 == Approx(110).margin(1.5));
}
