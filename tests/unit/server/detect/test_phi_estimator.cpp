#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "beat_server/core/detect/phi_estimator.hpp"

using namespace beat;

namespace {

PhiModel model(double mean, double stddev, double loss, double pause) {
    PhiModel m;
    m.mean_ms = mean;
    m.stddev_ms = stddev;
    m.loss = loss;
    m.pause_ms = pause;
    return m;
}

// The crossing found the slow way: bisection on phi alone.
double bisect_crossing(const PhiModel& m, double threshold) {
    double lo = 0, hi = 1;
    while (phi(m, hi) < threshold)
        hi *= 2;
    while (hi - lo > 0.01) {
        const double mid = (lo + hi) / 2;
        (phi(m, mid) >= threshold ? hi : lo) = mid;
    }
    return hi;
}

// How many intervals `w` holds, as its model tells: the largest warm-up the model counts as met
// (the measured mean then replaces the advertised interval, here 1 ms, which no sample has).
std::size_t samples(const PhiEstimator& w) {
    PhiSettings s;
    std::size_t n = 0;
    for (s.warmup = 1; s.warmup <= PhiEstimator::kWindow + 1; ++s.warmup) {
        if (w.model(1, 0, 0, s).mean_ms == 1) break;
        n = s.warmup;
    }
    return n;
}

}  // namespace

TEST_CASE("on a clean link phi is the classic one-beat phi", "[phi]") {
    const PhiModel m = model(1000, 100, 0, 0);
    CHECK(phi(m, 0) < 1e-12);
    CHECK(phi(m, 1000) == Approx(-std::log10(0.5)).epsilon(1e-6));
    // P(Z > 5.612) is 1e-8.
    CHECK(phi(m, 1000 + 561.2) == Approx(8).margin(0.01));
    CHECK(phi_crossing_ms(m, 8) == Approx(1561.2).margin(0.5));
}

TEST_CASE("a stall up to the acceptable pause costs phi 3, once", "[phi]") {
    const PhiModel m = model(1000, 100, 0, 3000);
    CHECK(phi(m, 0) == Approx(0).margin(1e-12));
    // Beat 1 is surely overdue without a stall: only a stall explains the silence so far, and
    // after one beat 1 is due at 4 s: 3 - log10 P(Z > -0.01) = 3 - log10 0.504.
    CHECK(phi(m, 3999) == Approx(3.2976).margin(0.001));
    // After a stall, beat 1 is due at 4 s: the crossing is where its lateness adds phi 5,
    // P(Z > 4.265) = 1e-5.
    CHECK(phi_crossing_ms(m, 8) == Approx(4426.5).margin(0.5));
}

TEST_CASE("on a lossy link the pause does not add to the wait", "[phi]") {
    // 5% loss: without a stall six beats missing and the seventh partly due (6.15 x 1.3 = 8);
    // a stall of 1.5 intervals would need 5 more missing beats after it, so it does not matter.
    const PhiModel paused = model(1000, 50, 0.05, 1500);
    const PhiModel unpaused = model(1000, 50, 0.05, 0);
    CHECK(phi_crossing_ms(paused, 8) == Approx(phi_crossing_ms(unpaused, 8)).margin(30));
    CHECK(phi_crossing_ms(paused, 8) < 7000);
}

TEST_CASE("each beat surely missing adds what its loss costs", "[phi]") {
    const PhiModel m = model(1000, 50, 0.05, 0);
    const double per_beat = -std::log10(0.05);
    for (int k = 1; k <= 5; ++k) {
        // Halfway between beat k (surely due) and beat k + 1 (surely not yet).
        CHECK(phi(m, k * 1000 + 500) == Approx(k * per_beat).margin(0.001));
    }
    // 8 / 1.3 = 6.15: beats 1..6 are missing and beat 7 is a little overdue.
    const double t = phi_crossing_ms(m, 8);
    CHECK(t > 6000);
    CHECK(t < 7000);
}

TEST_CASE("on a bursty link every missing beat after the first costs what a loss after a loss does",
          "[phi]") {
    PhiModel m = model(1000, 50, 0.05, 0);
    m.burst = 0.5;
    const double first = -std::log10(0.05);
    const double next = -std::log10(0.5);
    for (int k = 1; k <= 5; ++k)
        CHECK(phi(m, k * 1000 + 500) == Approx(first + (k - 1) * next).margin(0.001));
    // A burst rate below the loss rate changes nothing: losses are then taken as independent.
    PhiModel independent = model(1000, 50, 0.05, 0);
    independent.burst = 0.01;
    CHECK(phi(independent, 3500) == Approx(3 * first).margin(0.001));
    // 1.3 + 22 x 0.3 = 7.9: beat 24 is the one that takes phi to 8.
    const double t = phi_crossing_ms(m, 8);
    CHECK(t > 23'000);
    CHECK(t < 24'000);
}

TEST_CASE("phi never falls as the silence grows", "[phi]") {
    const PhiModel m = model(5000, 900, 0.2, 5000);
    double last = 0;
    for (double t = 0; t < 100'000; t += 37) {
        const double p = phi(m, t);
        REQUIRE(p >= last);
        last = p;
    }
}

TEST_CASE("the crossing agrees with bisection over a wide range of models", "[phi]") {
    std::mt19937 rng(11);
    auto uniform = [&](double lo, double hi) {
        return lo + (hi - lo) * std::uniform_real_distribution<double>(0, 1)(rng);
    };
    for (int i = 0; i < 300; ++i) {
        const double mean = uniform(10, 60'000);
        PhiModel m = model(mean, mean * uniform(0.01, 1), i % 5 == 0 ? 0 : uniform(0, 0.5),
                           mean * uniform(0, 5));
        if (i % 3 == 0) m.burst = uniform(0, 0.5);
        const double threshold = uniform(1, 16);
        const double t = phi_crossing_ms(m, threshold);
        INFO("mean " << m.mean_ms << " sd " << m.stddev_ms << " loss " << m.loss << " pause "
                     << m.pause_ms << " burst " << m.burst << " threshold " << threshold);
        REQUIRE(t == Approx(bisect_crossing(m, threshold)).margin(0.6));
        REQUIRE(phi(m, t + 0.6) >= threshold);
    }
}

TEST_CASE("the window averages per interval: a gap of k lost beats is k + 1 intervals", "[phi]") {
    PhiEstimator w;
    for (int i = 0; i < 20; ++i) {
        w.record(1000, 0);
        w.record(3000, 2);  // Two beats lost: three intervals of 1000 ms, not one of 3000.
    }
    CHECK(samples(w) == 40);
    CHECK(w.mean_ms() == Approx(1000));
    CHECK(w.stddev_ms() == Approx(0).margin(1e-6));
}

TEST_CASE("the window keeps the latest 100 intervals", "[phi]") {
    PhiEstimator w;
    for (int i = 0; i < 250; ++i)
        w.record(500, 0);
    for (int i = 0; i < 100; ++i)
        w.record(i % 2 ? 900 : 1100, 0);
    CHECK(samples(w) == PhiEstimator::kWindow);
    CHECK(w.mean_ms() == Approx(1000));
    CHECK(w.stddev_ms() == Approx(100));
    w.clear();
    CHECK(samples(w) == 0);
}

TEST_CASE("the model floors the deviation and scales the pause by the advertised interval",
          "[phi]") {
    PhiEstimator w;
    for (int i = 0; i < 10; ++i)
        w.record(2000, 0);
    PhiSettings s;
    s.pause_intervals = 1.5;
    const PhiModel m = w.model(2000, 0.9, 0.95, s);
    CHECK(m.mean_ms == 2000);
    CHECK(m.stddev_ms == Approx(200));  // 0.1 of the interval.
    CHECK(m.pause_ms == 3000);
    CHECK(m.loss == kMaxLoss);
    CHECK(m.burst == kMaxLoss);
}
