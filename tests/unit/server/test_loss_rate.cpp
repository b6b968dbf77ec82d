#include <catch2/catch.hpp>

#include "beat_server/core/loss_rate.hpp"

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
