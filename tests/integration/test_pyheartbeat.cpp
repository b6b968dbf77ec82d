// PyHeartBeat clients against the real server: "PyHB" datagrams on the heartbeat port make their
// source address a host, reported silent when they stop and back when they resume, and are
// refused when beats must be signed.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "tests/integration/harness.hpp"

using namespace beat::test;
using nlohmann::json;

namespace {

// The PyHeartBeat client's beat, every `every` (its 5 s, shortened), `count` times.
void send_pyhb(const Server& s, int count, std::chrono::milliseconds every) {
    for (int i = 0; i < count; ++i) {
        if (i > 0) std::this_thread::sleep_for(every);  // The client's own period.
        send_udp(s.udp_port, "PyHB");
    }
}

// The host `name` in /hosts, or nullopt.
std::optional<json> host_in_hosts(const Server& s, const std::string& name) {
    const json hosts = json::parse(http_get(s.http_port, "/hosts").body);
    for (const json& h : hosts.at("hosts"))
        if (h.at("name") == name) return h;
    return std::nullopt;
}

}  // namespace

TEST_CASE("PyHB datagrams from 127.0.0.1 make host 127.0.0.1, reported silent when they stop",
          "[server][pyheartbeat]") {
    Server s = start_server({"--legacy-interval", "0.2"});
    send_pyhb(s, 10, 200ms);
    const auto added = s.proc->wait_for_line("host new host=127.0.0.1 ");
    REQUIRE(added);
    CHECK(field(*added, "interval") == "0.2s");

    const auto h = host_in_hosts(s, "127.0.0.1");
    REQUIRE(h);
    CHECK(h->at("protocol") == "pyheartbeat");
    CHECK(h->at("state") == "up");
    CHECK(h->at("beats").get<int>() >= 9);  // UDP on loopback may still drop one.
    CHECK(h->at("lost").is_null());
    CHECK(h->at("judged_by") == "phi");

    // The client stops: silent within a few of its intervals, without a probe sent.
    const auto silent = s.proc->wait_for_line("host silent host=127.0.0.1 ", 5s);
    REQUIRE(silent);
    CHECK(seconds_field(*silent, "silent_for") < 4.0);
    const std::string metrics = http_get(s.http_port, "/metrics").body;
    CHECK(metrics.find("\nbeat_probes_sent_total 0\n") != std::string::npos);
    CHECK(metrics.find("\nbeat_acks_sent_total 0\n") != std::string::npos);
    CHECK(metrics.find("\nbeat_host_up{host=\"127.0.0.1\"} 0\n") != std::string::npos);

    send_pyhb(s, 1, 0ms);
    REQUIRE(s.proc->wait_for_line("host back host=127.0.0.1 "));

    s.proc->signal(SIGTERM);
    REQUIRE(s.proc->wait_exit() == 0);
    const auto stopped = s.proc->wait_for_line("stopped ");
    REQUIRE(stopped);
    CHECK(std::stoi(field(*stopped, "pyheartbeats")) >= 10);
}

TEST_CASE("PyHB datagrams are refused when beats must be signed", "[server][pyheartbeat][auth]") {
    TempDir dir;
    const std::string keys = dir.path() + "/keys";
    std::ofstream(keys) << std::string(64, '1') << "\n";
    REQUIRE(chmod(keys.c_str(), 0600) == 0);
    Server s = start_server({"--key-file", keys, "--legacy-interval", "0.2"});
    send_udp(s.udp_port, "PyHB");
    const auto refused = s.proc->wait_for_line("refused datagram");
    REQUIRE(refused);
    CHECK(field(*refused, "host") == "127.0.0.1");
    CHECK(field(*refused, "reason") == "auth_missing");
    CHECK_FALSE(host_in_hosts(s, "127.0.0.1"));
    CHECK(http_get(s.http_port, "/metrics")
              .body.find("\nbeat_datagrams_refused_total{reason=\"auth_missing\"} 1\n") !=
          std::string::npos);
}
