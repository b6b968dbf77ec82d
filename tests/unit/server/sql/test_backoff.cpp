#include <catch2/catch.hpp>

#include "beat_server/core/sql/backoff.hpp"

using namespace beat;

TEST_CASE("the pause doubles after each failure up to its most, and starts over after a success",
          "[backoff]") {
    Backoff b(100, 5000);
    CHECK(b.failed() == 100);
    CHECK(b.failed() == 200);
    CHECK(b.failed() == 400);
    for (int i = 0; i < 10; ++i)
        b.failed();
    CHECK(b.failed() == 5000);
    b.succeeded();
    CHECK(b.failed() == 100);
}
