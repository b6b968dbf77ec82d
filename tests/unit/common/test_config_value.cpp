#include <catch2/catch.hpp>

#include "common/config_value.hpp"

using namespace beat;

TEST_CASE("a duration setting reads seconds or a unit and names its key and range when out of it",
          "[config_value]") {
    CHECK(duration_setting("interval", "0.5", 100, 60'000) == 500);
    CHECK(duration_setting("--retention", "7d", 1000) == 604'800'000);
    CHECK_THROWS_WITH(duration_setting("interval", "2m", 100, 60'000),
                      "interval: expected seconds (\"5\", \"0.5\") or a duration (\"250ms\", "
                      "\"1m\") from 0.1s to 60s, got \"2m\"");
    CHECK_THROWS_WITH(duration_setting("--report-interval", "soon", 100),
                      Catch::StartsWith("--report-interval: expected seconds") &&
                          Catch::EndsWith("of at least 0.1s, got \"soon\""));
}
