#include <catch2/catch.hpp>

#include "beat_client/core/failure_latch.hpp"

using namespace beat;

TEST_CASE("a run of failures is announced once at its start and once at its end",
          "[failure_latch]") {
    FailureLatch latch;
    CHECK_FALSE(latch.succeed());
    CHECK(latch.fail());
    CHECK(latch.failing());
    CHECK_FALSE(latch.fail());
    CHECK_FALSE(latch.fail());
    CHECK(latch.succeed());
    CHECK_FALSE(latch.failing());
    CHECK_FALSE(latch.succeed());
    CHECK(latch.fail());
}
