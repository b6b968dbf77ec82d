// A host whose metric names never repeat, against the real beat_server: its names stop at
// --max-metrics-per-host, and the store keeps room for everyone else's keys.
#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/wire.hpp"
#include "tests/integration/harness.hpp"
#include "tests/occurrences.hpp"

using namespace beat;
using namespace beat::test;

namespace {

// The value of the sample `series` (a family name, with its labels if it has any) on the
// /metrics page, or -1 when the page has no such line.
double sample(const std::string& page, std::string_view series) {
    const std::string prefix = "\n" + std::string(series) + " ";
    const auto at = page.find(prefix);
    if (at == std::string::npos) return -1;
    return std::stod(page.substr(at + prefix.size()));
}

std::string metrics_page(const Server& s) {
    const HttpReply r = http_get(s.http_port, "/metrics");
    REQUIRE(r.status == 200);
    return r.body;
}

// Polls /metrics until the server has accepted `datagrams` datagrams in all (bounded); returns
// the page.
std::string wait_accepted(const Server& s, std::size_t datagrams) {
    std::string page;
    const auto deadline = Clock::now() + 20s;
    while (Clock::now() < deadline) {
        page = metrics_page(s);
        if (sample(page, "beat_datagrams_accepted_total") == double(datagrams)) return page;
        std::this_thread::sleep_for(10ms);
    }
    FAIL("the server never accepted " << datagrams << " datagrams; last page:\n" << page);
    return page;
}

}  // namespace

TEST_CASE(
    "100,000 distinct metric names from one host stop at the per-host limit and another "
    "client can still put a new key",
    "[server][metric_limit]") {
    // Room for 1,000 keys: without a per-host limit the one host would take them all.
    Server s = start_server({"--max-keys", "1000"});
    constexpr std::size_t kNames = 100'000, kPerBeat = 100, kBeatsPerBatch = 50;
    constexpr std::size_t kLimit = 256;  // --max-metrics-per-host's default.
    Heartbeat hb;
    hb.host = "churn";
    hb.incarnation = 1;
    hb.interval_ms = 60'000;
    std::size_t next_name = 0, sent = 0;
    while (next_name < kNames) {
        // A batch of beats, then a wait until the server has taken every datagram of it, so
        // that the socket's queue never overflows.
        for (std::size_t b = 0; b < kBeatsPerBatch && next_name < kNames; ++b) {
            hb.sequence = next_name / kPerBeat + 1;
            hb.send_time_ms = 1'700'000'000'000 + static_cast<std::int64_t>(hb.sequence) * 1000;
            hb.metrics.clear();
            for (std::size_t m = 0; m < kPerBeat; ++m)
                hb.metrics.push_back({"churn.metric." + std::to_string(next_name++), 1.0});
            for (const std::string& d : pack_beat(hb)) {
                send_udp(s.udp_port, d);
                ++sent;
            }
        }
        wait_accepted(s, sent);
    }

    const std::string page = metrics_page(s);
    INFO(page);
    CHECK(sample(page, "beat_host_metric_names{host=\"churn\"}") == double(kLimit));
    CHECK(sample(page, "beat_metric_values_total{result=\"stored\"}") == double(kLimit));
    CHECK(sample(page, "beat_metric_values_total{result=\"host_limit\"}") ==
          double(kNames - kLimit));
    CHECK(sample(page, "beat_host_metric_values_refused_total{host=\"churn\"}") ==
          double(kNames - kLimit));
    CHECK(sample(page, "beat_metric_values_total{result=\"key_limit\"}") == 0);
    CHECK(sample(page, "beat_store_keys") == double(kLimit));

    // Another client's new key is stored and read back.
    CHECK(tcp_request(s.tcp_port, "put other.cpu 2.5 1700000000\n") == "ok\n\n");
    CHECK(tcp_request(s.tcp_port, "get other.cpu\n") == "ok\nother.cpu 2.5 1700000000\n\n");
    CHECK(sample(metrics_page(s), "beat_store_keys") == double(kLimit + 1));

    // The refusals are logged once, for the first datagram that went beyond the limit (the
    // third beat's, which held at most the 44 names past the 256th); the others are held back
    // for a minute.
    const auto line = s.proc->wait_for_line("metrics refused host=churn");
    REQUIRE(line);
    const int refused = std::stoi(field(*line, "refused"));
    CHECK(refused >= 1);
    CHECK(refused <= 44);
    CHECK(field(*line, "limit") == "256");
    std::size_t logged = 0;
    for (const std::string& l : s.proc->lines())
        logged += occurrences(l, "metrics refused");
    CHECK(logged == 1);
}
