#include <catch2/catch.hpp>

#include "beat_client/core/beat_text.hpp"
#include "common/wire.hpp"

using namespace beat;

TEST_CASE("a printed beat shows its header and each metric on its own line", "[beat_text]") {
    Heartbeat hb;
    hb.host = "web-1";
    hb.incarnation = 0xabc;
    hb.sequence = 7;
    hb.send_time_ms = 1'700'000'000'123;
    hb.interval_ms = 5000;
    hb.metrics = {{"cpu", 12.5}, {"mem.avail_bytes", 24936574976}, {"load.15", 0.1}};
    const std::string text = format_beat(pack_beat(hb));
    CHECK(
        text.starts_with("host web-1 incarnation 0000000000000abc sequence 7 interval 5s sent "
                         "2023-11-14T22:13:20.123Z\n1 datagram ("));
    CHECK(text.find("\n  cpu              12.5\n") != std::string::npos);
    CHECK(text.find("\n  mem.avail_bytes  24936574976\n") != std::string::npos);
    CHECK(text.find("\n  load.15          0.1\n") != std::string::npos);
}

TEST_CASE("a beat split across datagrams is printed as one list of metrics", "[beat_text]") {
    Heartbeat hb;
    hb.host = "h";
    for (int i = 0; i < 200; ++i)
        hb.metrics.push_back({"metric.number." + std::to_string(i), double(i)});
    const auto datagrams = pack_beat(hb);
    REQUIRE(datagrams.size() > 1);
    const std::string text = format_beat(datagrams);
    CHECK(text.find(std::to_string(datagrams.size()) + " datagrams (") != std::string::npos);
    CHECK(text.find("metric.number.0 ") != std::string::npos);
    CHECK(text.find("metric.number.199 ") != std::string::npos);
}

TEST_CASE("a datagram that does not decode is reported, not skipped", "[beat_text]") {
    CHECK(format_beat({"nonsense"}) == "datagram 0 does not decode: bad_magic\n");
}
