#include <catch2/catch.hpp>

#include "beat_client/core/jitter.hpp"

using namespace beat;

TEST_CASE("beat delays stay within the jitter around the interval and average to it", "[jitter]") {
    Random rng(42);
    double sum = 0;
    std::int64_t lo = 1'000'000, hi = 0;
    constexpr int kDraws = 10'000;
    for (int i = 0; i < kDraws; ++i) {
        const std::int64_t d = next_beat_delay_ms(5000, 0.1, rng);
        lo = std::min(lo, d);
        hi = std::max(hi, d);
        sum += static_cast<double>(d);
    }
    CHECK(lo >= 4500);
    CHECK(hi <= 5500);
    CHECK(lo < 4600);
    CHECK(hi > 5400);
    CHECK(sum / kDraws == Approx(5000).epsilon(0.01));
}

TEST_CASE("without jitter every beat comes exactly one interval after the last", "[jitter]") {
    Random rng(1);
    for (int i = 0; i < 100; ++i)
        CHECK(next_beat_delay_ms(2000, 0, rng) == 2000);
    CHECK(first_beat_delay_ms(2000, 0, rng) == 0);
}

TEST_CASE("the first beat comes within the jitter share of one interval", "[jitter]") {
    Random rng(7);
    for (int i = 0; i < 1000; ++i) {
        const std::int64_t d = first_beat_delay_ms(10'000, 0.05, rng);
        CHECK(d >= 0);
        CHECK(d <= 500);
    }
}

TEST_CASE("an out-of-range jitter is clamped and a delay is never zero", "[jitter]") {
    Random rng(3);
    for (int i = 0; i < 1000; ++i) {
        const std::int64_t d = next_beat_delay_ms(1000, 5.0, rng);
        CHECK(d >= 500);
        CHECK(d <= 1500);
        CHECK(next_beat_delay_ms(1, 0.5, rng) >= 1);
    }
}

TEST_CASE("two generators with different seeds do not beat in lockstep", "[jitter]") {
    Random a(1), b(2);
    int same = 0;
    for (int i = 0; i < 100; ++i)
        same += next_beat_delay_ms(5000, 0.05, a) == next_beat_delay_ms(5000, 0.05, b);
    CHECK(same < 10);
}

TEST_CASE("unit draws are at least 0 and below 1", "[jitter]") {
    Random rng(0);
    for (int i = 0; i < 10'000; ++i) {
        const double u = rng.unit();
        CHECK(u >= 0.0);
        CHECK(u < 1.0);
    }
}
