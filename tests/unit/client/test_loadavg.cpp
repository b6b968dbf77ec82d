#include <catch2/catch.hpp>

#include "beat_client/core/loadavg.hpp"
#include "sample_files.hpp"

using namespace beat;

TEST_CASE("the three load averages are read from /proc/loadavg", "[loadavg]") {
    const auto l = parse_loadavg(test::proc_sample("loadavg"));
    REQUIRE(l);
    CHECK(l->one == 1.69);
    CHECK(l->five == 0.86);
    CHECK(l->fifteen == 0.36);
}

TEST_CASE("a loadavg line with fewer or malformed numbers is rejected", "[loadavg]") {
    CHECK_FALSE(parse_loadavg(""));
    CHECK_FALSE(parse_loadavg("0.1 0.2"));
    CHECK_FALSE(parse_loadavg("0.1 nan 0.3 1/2 3"));
    CHECK_FALSE(parse_loadavg("-1 0.2 0.3 1/2 3"));
}
