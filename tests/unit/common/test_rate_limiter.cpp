#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "common/rate_limiter.hpp"

using namespace beat;

TEST_CASE("the first event for a key is allowed and repeats within the window are held back",
          "[rate_limiter]") {
    RateLimiter limiter(1000);
    CHECK(limiter.allow("10.0.0.1", 5000));
    CHECK_FALSE(limiter.allow("10.0.0.1", 5000));
    CHECK_FALSE(limiter.allow("10.0.0.1", 5999));
    CHECK(limiter.allow("10.0.0.1", 6000));
    CHECK_FALSE(limiter.allow("10.0.0.1", 6500));
}

TEST_CASE("the window starts again at each allowed event, not at each held-back one",
          "[rate_limiter]") {
    RateLimiter limiter(1000);
    CHECK(limiter.allow("k", 0));
    CHECK_FALSE(limiter.allow("k", 900));
    CHECK(limiter.allow("k", 1000));
    CHECK_FALSE(limiter.allow("k", 1999));
    CHECK(limiter.allow("k", 2000));
}

TEST_CASE("the first event is allowed even at time zero", "[rate_limiter]") {
    RateLimiter limiter(1000);
    CHECK(limiter.allow("k", 0));
    CHECK_FALSE(limiter.allow("k", 0));
}

TEST_CASE("keys are limited independently", "[rate_limiter]") {
    RateLimiter limiter(1000);
    CHECK(limiter.allow("a", 0));
    CHECK(limiter.allow("b", 0));
    CHECK_FALSE(limiter.allow("a", 10));
    CHECK_FALSE(limiter.allow("b", 10));
}

TEST_CASE("held-back events are counted until taken", "[rate_limiter]") {
    RateLimiter limiter(1000);
    CHECK(limiter.allow("k", 0));
    CHECK(limiter.take_suppressed("k") == 0);
    for (int i = 1; i <= 5; ++i)
        CHECK_FALSE(limiter.allow("k", i));
    CHECK(limiter.allow("k", 1000));
    CHECK(limiter.take_suppressed("k") == 5);
    CHECK(limiter.take_suppressed("k") == 0);
    CHECK_FALSE(limiter.allow("k", 1001));
    CHECK(limiter.take_suppressed("other") == 0);
    CHECK(limiter.take_suppressed("k") == 1);
}

TEST_CASE("asking for a count does not hold back the key's first event", "[rate_limiter]") {
    RateLimiter limiter(1000);
    CHECK(limiter.take_suppressed("k") == 0);
    CHECK(limiter.allow("k", 10));
}

TEST_CASE("asking for a count does not take a place in the table", "[rate_limiter]") {
    RateLimiter limiter(1000, 1);
    CHECK(limiter.take_suppressed("never-seen") == 0);
    CHECK(limiter.allow("a", 10));
    // The table holds "a"; "b" goes to the overflow slot, whose first event is allowed.
    CHECK(limiter.allow("b", 10));
}

TEST_CASE("a window of zero allows every event", "[rate_limiter]") {
    RateLimiter limiter(0);
    for (int i = 0; i < 3; ++i)
        CHECK(limiter.allow("k", 7));
}

TEST_CASE("new keys share one overflow slot while the table is full of recent keys",
          "[rate_limiter]") {
    RateLimiter limiter(1000, 2);
    CHECK(limiter.allow("a", 0));
    CHECK(limiter.allow("b", 0));
    CHECK(limiter.allow("c", 10));  // The overflow slot's first event.
    CHECK_FALSE(limiter.allow("d", 20));
    CHECK_FALSE(limiter.allow("c", 30));
    CHECK(limiter.take_suppressed("d") == 2);
    // Known keys keep their own entries.
    CHECK_FALSE(limiter.allow("a", 40));
    CHECK(limiter.take_suppressed("a") == 1);
    CHECK(limiter.allow("e", 1010));  // The overflow slot's window has passed.
}

TEST_CASE("keys older than the window make room for new ones", "[rate_limiter]") {
    RateLimiter limiter(1000, 2);
    CHECK(limiter.allow("a", 0));
    CHECK(limiter.allow("b", 500));
    CHECK(limiter.allow("c", 600));  // Full: "c" shares the overflow slot.
    // At 1000 "a" is old and gives its place to "d", which then has an entry of its own.
    CHECK(limiter.allow("d", 1000));
    CHECK_FALSE(limiter.allow("d", 1001));
    CHECK(limiter.take_suppressed("d") == 1);
    // "b" is still recent, so "e" goes to the overflow slot, which "c" used at 600.
    CHECK_FALSE(limiter.allow("e", 1100));
    // At 1500 "b" is old too.
    CHECK(limiter.allow("f", 1500));
    CHECK_FALSE(limiter.allow("f", 1600));
    CHECK(limiter.take_suppressed("f") == 1);
}

TEST_CASE("entries that turn old after a fruitless sweep are still swept later", "[rate_limiter]") {
    RateLimiter limiter(1000, 3);
    CHECK(limiter.allow("a", 0));
    CHECK(limiter.allow("b", 400));
    CHECK(limiter.allow("c", 800));
    CHECK(limiter.allow("x", 900));  // Nothing is old yet: the overflow slot.
    CHECK_FALSE(limiter.allow("y", 999));
    CHECK(limiter.allow("y", 1000));  // "a" turned old at 1000.
    CHECK_FALSE(limiter.allow("y", 1001));
    CHECK(limiter.take_suppressed("y") == 1);
    CHECK_FALSE(limiter.allow("z", 1399));  // Full again until "b" turns old at 1400.
    CHECK(limiter.allow("z", 1400));
    CHECK_FALSE(limiter.allow("z", 1401));
    CHECK(limiter.take_suppressed("z") == 1);
}

TEST_CASE("entries added after a sweep that emptied the table are swept in their turn",
          "[rate_limiter]") {
    RateLimiter limiter(1000, 2);
    CHECK(limiter.allow("a", 0));
    CHECK(limiter.allow("b", 0));
    CHECK(limiter.allow("c", 5000));  // Sweeps out "a" and "b".
    CHECK(limiter.allow("d", 5000));
    CHECK(limiter.allow("e", 5000));  // Full again: the overflow slot.
    CHECK(limiter.allow("f", 6000));  // "c" and "d" are old by now.
    CHECK_FALSE(limiter.allow("f", 6001));
    CHECK(limiter.take_suppressed("f") == 1);
}

TEST_CASE("a flood of distinct keys against a full table stays cheap", "[rate_limiter]") {
    // Each new key used to cost a pass over the whole table; now a pass happens only when an entry
    // can have turned old. Two hundred thousand events against ten thousand recent entries finish
    // quickly either way on a fast machine, so this only guards against gross regressions.
    RateLimiter limiter(60'000, 10'000);
    for (int i = 0; i < 10'000; ++i)
        CHECK(limiter.allow("host-" + std::to_string(i), 0));
    const auto start = std::chrono::steady_clock::now();
    int allowed = 0;
    for (int i = 0; i < 200'000; ++i) {
        if (limiter.allow("flood-" + std::to_string(i), 1 + i / 1000)) ++allowed;
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(allowed == 1);  // They all share the overflow slot.
    CHECK(elapsed < std::chrono::seconds(5));
}
