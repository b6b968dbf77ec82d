#include <catch2/catch.hpp>

#include "beat_client/core/net_dev.hpp"
#include "sample_files.hpp"

using namespace beat;

TEST_CASE("every interface but lo is read with its byte counters", "[net_dev]") {
    std::vector<NetCounters> out;
    REQUIRE(parse_net_dev(test::proc_sample("net_dev"), out));
    REQUIRE(out.size() == 3);
    CHECK(out[0].name == "ifb0");
    CHECK(out[2].name == "eth0");
    CHECK(out[2].rx_bytes == 19085844);
    CHECK(out[2].tx_bytes == 27424);
}

TEST_CASE("long interface names and numbers that touch the colon are split correctly",
          "[net_dev]") {
    std::vector<NetCounters> out;
    REQUIRE(parse_net_dev(test::proc_sample("net_dev_long_names"), out));
    REQUIRE(out.size() == 5);
    CHECK(out[0].name == "enp0s31f6");
    CHECK(out[0].rx_bytes == 7340032000ull);
    CHECK(out[0].tx_bytes == 1048576000ull);
    CHECK(out[1].name == "wlp0s20f3u1u2");
    CHECK(out[2].name == "veth1a2b3c4d5e6");
    CHECK(out[3].name == "br-4f0c2a9e71d3");
    CHECK(out[3].rx_bytes == 18446744073709551615ull);
    CHECK(out[3].tx_bytes == 123);
    CHECK(out[4].name == "eth0");
    CHECK(out[4].rx_bytes == 123456789012ull);
    CHECK(out[4].tx_bytes == 987654321);
}

TEST_CASE("a line with too few counters is skipped, the others are kept", "[net_dev]") {
    std::vector<NetCounters> out;
    REQUIRE(parse_net_dev("Inter-|\n face |\n  bad0: 1 2 3\n  ok0: 1 0 0 0 0 0 0 0 2 0\n", out));
    REQUIRE(out.size() == 1);
    CHECK(out[0].name == "ok0");
    CHECK(out[0].tx_bytes == 2);
}

TEST_CASE("content without the /proc/net/dev header is not taken for it", "[net_dev]") {
    std::vector<NetCounters> out;
    CHECK_FALSE(parse_net_dev("", out));
    CHECK_FALSE(parse_net_dev("hello world\n", out));
}

TEST_CASE("parsing again replaces the previous interfaces", "[net_dev]") {
    std::vector<NetCounters> out;
    REQUIRE(parse_net_dev(test::proc_sample("net_dev_long_names"), out));
    REQUIRE(parse_net_dev(test::proc_sample("net_dev"), out));
    CHECK(out.size() == 3);
    CHECK(out[0].name == "ifb0");
}
