// The phi detector end to end: the real beat_server with --detector phi, real agents and real
// datagrams, its verdicts read from the log and from /hosts.
#include <catch2/catch.hpp>

#include <signal.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "common/wire.hpp"
#include "tests/integration/harness.hpp"

using namespace beat;
using namespace beat::test;
using nlohmann::json;

TEST_CASE("with --detector phi an agent that is killed is reported silent once phi crosses 8",
          "[detector][phi]") {
    Server s = start_server({"--detector", "phi"});
    auto agent = start_agent(
        {"--server", loopback_endpoint(s.udp_port), "--interval", "0.1", "--host", "phi-node"});
    REQUIRE(s.proc->wait_for_line("host new host=phi-node"));
    // While it beats, /hosts shows it up with a low phi and its next beat ahead or just due.
    HttpReply up;
    for (int i = 0; i < 50; ++i) {  // Until a second beat has given the detector an interval.
        up = http_get(s.http_port, "/hosts/phi-node");
        REQUIRE(up.status == 200);
        if (json::parse(up.body).at("beats").get<int>() >= 5) break;
        std::this_thread::sleep_for(50ms);
    }
    const json alive = json::parse(up.body);
    CHECK(alive.at("state") == "up");
    CHECK(alive.at("phi").get<double>() < 8);
    CHECK(alive.at("next_beat_in_seconds").get<double>() > -0.1);

    agent->signal(SIGKILL);  // A crash: no last word.
    const auto silent = s.proc->wait_for_line("host silent host=phi-node", 10s);
    REQUIRE(silent);
    INFO(*silent);
    // The line says what the detector saw: phi at the threshold, no loss, the beat overdue.
    const double phi = std::stod(field(*silent, "phi"));
    CHECK(phi >= 8);
    CHECK(percent_field(*silent, "loss") == 0);
    CHECK(seconds_field(*silent, "next_beat") < 0);
    // A new host's link is not known yet, so phi waits out several missing beats (the loss
    // prior), but no longer than about 12 intervals.
    const double waited = seconds_field(*silent, "silent_for");
    CHECK(waited >= 0.3);
    CHECK(waited <= 1.5);
    CHECK(seconds_field(*silent, "timeout") <= waited);

    const HttpReply gone = http_get(s.http_port, "/hosts/phi-node");
    REQUIRE(gone.status == 200);
    const json dead = json::parse(gone.body);
    CHECK(dead.at("state") == "silent");
    CHECK(dead.at("phi").get<double>() >= 8);
    CHECK(dead.at("next_beat_in_seconds").get<double>() < 0);
    CHECK(agent->wait_exit() == 128 + SIGKILL);
}

TEST_CASE("with --detector phi a host on a lossy link is given longer than one on a clean link",
          "[detector][phi]") {
    Server s = start_server({"--detector", "phi"});
    Heartbeat clean, lossy;
    clean.host = "clean-link";
    lossy.host = "lossy-link";
    for (Heartbeat* hb : {&clean, &lossy}) {
        hb->incarnation = 1;
        hb->interval_ms = 100;
        hb->send_time_ms = 1'700'000'000'000;
    }
    // 60 beats every 100 ms; the lossy host's every fourth beat never leaves (25% loss).
    for (std::uint64_t seq = 1; seq <= 60; ++seq) {
        clean.sequence = lossy.sequence = seq;
        send_udp(s.udp_port, pack_beat(clean).at(0));
        if (seq % 4 != 0) send_udp(s.udp_port, pack_beat(lossy).at(0));
        std::this_thread::sleep_for(100ms);
    }
    // Both stop at once. The clean host is declared silent first; the lossy one only after a
    // run of missing beats that its loss rate makes improbable, about 12 intervals.
    const auto first = s.proc->wait_for_line("host silent host=", 10s);
    REQUIRE(first);
    INFO(*first);
    CHECK(field(*first, "host") == "clean-link");
    const auto second = s.proc->wait_for_line("host silent host=lossy-link", 10s);
    REQUIRE(second);
    INFO(*second);
    CHECK(percent_field(*second, "loss") == Approx(0.25).margin(0.03));
    CHECK(seconds_field(*second, "timeout") > seconds_field(*first, "timeout") + 0.4);
}
