#include <catch2/catch.hpp>

#include "beat_client/core/uptime.hpp"
#include "sample_files.hpp"

using namespace beat;

TEST_CASE("uptime is the first number of /proc/uptime", "[uptime]") {
    CHECK(*parse_uptime(test::proc_sample("uptime")) == 500.67);
    CHECK(*parse_uptime("12345678.90 1.00\n") == 12345678.90);
}

TEST_CASE("an empty or malformed /proc/uptime is rejected", "[uptime]") {
    CHECK_FALSE(parse_uptime(""));
    CHECK_FALSE(parse_uptime("up 1.0"));
    CHECK_FALSE(parse_uptime("-3 1"));
}
