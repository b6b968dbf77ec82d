#include <catch2/catch.hpp>

#include "beat_client/core/statm.hpp"
#include "sample_files.hpp"

using namespace beat;

TEST_CASE("resident memory is the second field of statm times the page size", "[statm]") {
    CHECK(parse_statm_rss(test::proc_sample("statm"), 4096) == 399ull * 4096);
    CHECK(parse_statm_rss("10 3 1 1 0 2 0\n", 65536) == 3ull * 65536);
}

TEST_CASE("a statm line without a resident field is rejected", "[statm]") {
    CHECK_FALSE(parse_statm_rss("", 4096));
    CHECK_FALSE(parse_statm_rss("765", 4096));
    CHECK_FALSE(parse_statm_rss("765 x", 4096));
}
