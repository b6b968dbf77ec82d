#include <catch2/catch.hpp>

#include "beat_client/core/rates.hpp"

using namespace beat;

TEST_CASE("cpu use is the share of ticks that were neither idle nor iowait", "[rates]") {
    CpuTimes a, b;
    a.user = 100;
    a.idle = 900;
    b = a;
    b.user += 30;
    b.system += 10;
    b.idle += 50;
    b.iowait += 10;
    CHECK(*cpu_busy_pct(a, b) == Approx(40.0));
}

TEST_CASE("steal time counts as busy", "[rates]") {
    CpuTimes a, b;
    b.steal = 25;
    b.idle = 75;
    CHECK(*cpu_busy_pct(a, b) == Approx(25.0));
}

TEST_CASE("no cpu figure is given when no tick passed or the counters went back", "[rates]") {
    CpuTimes a;
    a.user = 10;
    CHECK_FALSE(cpu_busy_pct(a, a));
    CpuTimes fewer;
    fewer.user = 5;
    CHECK_FALSE(cpu_busy_pct(a, fewer));
}

TEST_CASE("an iowait counter that goes backwards cannot push cpu use out of 0..100", "[rates]") {
    CpuTimes a, b;
    a.iowait = 500;
    a.idle = 100;
    b.iowait = 400;
    b.idle = 100;
    b.user = 200;  // total grows by 100 while idle_all shrinks by 100
    CHECK(*cpu_busy_pct(a, b) == 100.0);
}

TEST_CASE("a counter's rate is its growth per second over the elapsed time", "[rates]") {
    CHECK(*counter_rate(1000, 6000, 500) == Approx(10000.0));
    CHECK(*counter_rate(7, 7, 1000) == 0.0);
}

TEST_CASE("a counter that was reset or no elapsed time gives no rate", "[rates]") {
    CHECK_FALSE(counter_rate(6000, 1000, 500));
    CHECK_FALSE(counter_rate(1000, 6000, 0));
    CHECK_FALSE(counter_rate(1000, 6000, -5));
}
