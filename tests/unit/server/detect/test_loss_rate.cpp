#include <catch2/catch.hpp>

#include <cmath>

#include "beat_server/core/detect/loss_rate.hpp"

using namespace beat;

TEST_CASE("the loss rate is the share of beats lost", "[loss]") {
    LossRate r;
    CHECK(r.rate() == 0);
    // One beat in twenty lost, for many horizons.
    for (int i = 0; i < 20'000; ++i)
        r.record(i % 19 == 18 ? 1 : 0);
    CHECK(r.rate() == Approx(0.05).margin(0.002));
}

TEST_CASE("the loss rate forgets old loss over its horizon", "[loss]") {
    LossRate r;
    r.record(99);  // A burst: 99 lost, 1 received.
    CHECK(r.rate() == Approx(0.99).margin(0.01));
    for (int i = 0; i < 5 * static_cast<int>(LossRate::kHorizon); ++i)
        r.record(0);
    CHECK(r.rate() < 0.001);
}

TEST_CASE("the detector's rate starts from a prior of one beat in twenty that fades", "[loss]") {
    LossRate r;
    CHECK(r.cautious_rate() == Approx(0.05));  // 0.5 lost in 10, nothing measured yet.
    // A clean link: the prior fades as the host's own beats pile up, never below what they show.
    double before = r.cautious_rate();
    for (int i = 1; i <= 5000; ++i) {
        r.record(0);
        REQUIRE(r.cautious_rate() < before);
        before = r.cautious_rate();
        if (i == 20) CHECK(r.cautious_rate() == Approx(0.5 * std::exp(-0.02) / 29.6).epsilon(0.02));
        if (i == 1000) CHECK(r.cautious_rate() < 3e-4);
    }
    CHECK(r.rate() == 0);
    CHECK(r.cautious_rate() < 1e-5);
    // A lossy link: once known, the prior no longer matters.
    LossRate lossy;
    for (int i = 0; i < 20'000; ++i)
        lossy.record(i % 4 == 3 ? 1 : 0);
    CHECK(lossy.cautious_rate() == Approx(lossy.rate()).epsilon(1e-6));
}

TEST_CASE("losses in bursts raise the chance that a loss follows a loss", "[loss]") {
    // Single losses, one beat in twenty: a loss is never followed by another.
    LossRate single;
    for (int i = 0; i < 20'000; ++i)
        single.record(i % 20 == 19 ? 1 : 0);
    CHECK(single.cautious_burst() < single.cautious_rate());
    // Bursts of 9 lost beats every 200: about the same loss rate, but a loss is followed by
    // another 8 times in 9 (drawn a little towards the loss rate by the prior).
    LossRate bursty;
    for (int i = 0; i < 20'000; ++i)
        bursty.record(i % 191 == 190 ? 9 : 0);
    CHECK(bursty.cautious_rate() == Approx(0.045).margin(0.005));
    CHECK(bursty.cautious_burst() > 0.5);
    CHECK(bursty.cautious_burst() < 8.0 / 9);
    // A new host: the prior's losses are single ones, so phi takes them as independent.
    CHECK(LossRate{}.cautious_burst() <= LossRate{}.cautious_rate());
}
