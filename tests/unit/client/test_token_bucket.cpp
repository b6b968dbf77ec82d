#include <catch2/catch.hpp>

#include "beat_client/core/token_bucket.hpp"

using namespace beat;

TEST_CASE("a full bucket allows its burst at once and then nothing", "[token_bucket]") {
    TokenBucket b(10, 20);
    for (int i = 0; i < 20; ++i)
        CHECK(b.take(1000));
    CHECK_FALSE(b.take(1000));
}

TEST_CASE("an empty bucket refills at its rate, never beyond its burst", "[token_bucket]") {
    TokenBucket b(10, 20);
    for (int i = 0; i < 20; ++i)
        REQUIRE(b.take(0));
    CHECK_FALSE(b.take(99));
    CHECK(b.take(100));
    CHECK_FALSE(b.take(100));
    // An hour later it holds its burst again, and no more.
    int taken = 0;
    while (b.take(3'600'000))
        ++taken;
    CHECK(taken == 20);
}

TEST_CASE("time that goes backwards adds no tokens", "[token_bucket]") {
    TokenBucket b(1, 1);
    REQUIRE(b.take(10'000));
    CHECK_FALSE(b.take(0));
    CHECK_FALSE(b.take(10'999));
    CHECK(b.take(11'000));
}
