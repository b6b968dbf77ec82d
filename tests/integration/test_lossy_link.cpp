// Real loss, real binaries: the real beat_server with its default detector and real agents
// beating every 100 ms through a relay that drops 20% of the datagrams each way
// (lossy_relay.hpp). No live host may be reported silent, and a killed agent must be reported
// within 4.5 of its intervals (issue 15's target at 20% loss each way).
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.hpp"
#include "tests/integration/lossy_relay.hpp"

using namespace beat;
using namespace beat::test;

namespace {

constexpr int kAgents = 4;
constexpr int kIntervalMs = 100;
constexpr std::uint64_t kBeatsPerAgent = 300;

// The Unix time in milliseconds a text log line starts with ("2026-12-04T22:28:27.123Z ...").
std::int64_t line_unix_ms(const std::string& line) {
    std::tm tm{};
    int ms = 0;
    REQUIRE(std::sscanf(line.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
                        &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) == 7);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

std::int64_t now_unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The lines so far that report a host silent or flapping.
std::vector<std::string> verdicts(Process& server) {
    std::vector<std::string> out;
    for (const std::string& l : server.lines()) {
        if (l.find(" host silent ") != std::string::npos ||
            l.find(" host flapping ") != std::string::npos)
            out.push_back(l);
    }
    return out;
}

}  // namespace

TEST_CASE(
    "at 20% loss each way no live host is reported silent and a killed one within 4.5 "
    "intervals",
    "[detector][lossy]") {
    Server s = start_server();
    LossyRelay relay(s.udp_port, 0.2, 15, std::chrono::minutes(2));
    std::vector<std::unique_ptr<Process>> agents;
    for (int i = 0; i < kAgents; ++i) {
        agents.push_back(start_agent({"--server", loopback_endpoint(relay.port()), "--interval",
                                      "0.1", "--host", "lossy-" + std::to_string(i)}));
    }
    // Until every agent has sent about kBeatsPerAgent beats, as the relay counts them.
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(3 * kBeatsPerAgent * kIntervalMs);
    for (;;) {
        const LossyRelay::Counts c = relay.counts();
        if (c.up_forwarded + c.up_dropped >= kAgents * kBeatsPerAgent) break;
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(std::chrono::milliseconds(kIntervalMs));
    }
    const LossyRelay::Counts run = relay.counts();
    INFO("up forwarded " << run.up_forwarded << " dropped " << run.up_dropped << ", down forwarded "
                         << run.down_forwarded << " dropped " << run.down_dropped);
    CHECK(run.up_dropped > (run.up_forwarded + run.up_dropped) / 10);  // The link is lossy.
    for (const std::string& l : verdicts(*s.proc))
        FAIL_CHECK("a live host was reported: " << l);

    agents[0]->signal(SIGKILL);
    const std::int64_t killed_ms = now_unix_ms();
    // The first report of the killed host after the kill (one before it failed above).
    std::optional<std::string> silent;
    while (
        (silent = s.proc->wait_for_line("host silent host=lossy-0 ", std::chrono::seconds(10)))) {
        if (line_unix_ms(*silent) >= killed_ms) break;
    }
    REQUIRE(silent);
    INFO(*silent);
    const double detection_intervals =
        static_cast<double>(line_unix_ms(*silent) - killed_ms) / kIntervalMs;
    CAPTURE(detection_intervals);
    CHECK(detection_intervals <= 4.5);
    for (const std::string& l : verdicts(*s.proc)) {
        if (line_unix_ms(l) >= killed_ms && l.find("host=lossy-0 ") == std::string::npos)
            FAIL_CHECK("a live host was reported: " << l);
    }
}
