// --log-format json against the real server: every stderr line is one JSON object, and a
// host's silence and return are one event each.
#include <catch2/catch.hpp>

#include <signal.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/wire.hpp"
#include "tests/integration/harness.hpp"

using namespace beat;
using namespace beat::test;
using nlohmann::json;

TEST_CASE("json logs give one event per line for a host's silence and return",
          "[log_format][liveness]") {
    // The fixed detector times a host out after 3 advertised intervals.
    Server s = start_server({"--log-format", "json", "--detector", "fixed"});
    Heartbeat hb;
    hb.host = "json-palm";
    hb.incarnation = 7;
    hb.send_time_ms = 1'700'000'000'000;
    hb.interval_ms = 100;  // Silent 300 ms after the last beat.
    for (hb.sequence = 1; hb.sequence <= 2; ++hb.sequence)
        send_udp(s.udp_port, pack_beat(hb).at(0));
    REQUIRE(s.proc->wait_for_line(R"("event":"host_new")"));
    REQUIRE(s.proc->wait_for_line(R"("event":"host_silent")", 3s));
    // Back after beats 3 and 4 went missing, now advertising a minute: it cannot fall silent
    // again before the server stops.
    hb.sequence = 5;
    hb.interval_ms = 60'000;
    send_udp(s.udp_port, pack_beat(hb).at(0));
    REQUIRE(s.proc->wait_for_line(R"("event":"host_back")"));
    s.proc->signal(SIGTERM);
    REQUIRE(s.proc->wait_for_line(R"("event":"stopped")"));
    REQUIRE(s.proc->wait_exit() == 0);

    std::vector<json> silent, back, stopped;
    bool listening = false;
    const std::vector<std::string> lines = s.proc->lines();
    for (const std::string& line : lines) {
        INFO(line);
        json event;
        REQUIRE_NOTHROW(event = json::parse(line));
        REQUIRE(event.is_object());
        CHECK(event.at("time").is_string());
        CHECK(event.at("level").is_string());
        const std::string name = event.at("event");
        if (name == "listening") listening = true;
        if (name == "host_silent" && event.at("host") == "json-palm") silent.push_back(event);
        if (name == "host_back" && event.at("host") == "json-palm") back.push_back(event);
        if (name == "stopped") stopped.push_back(event);
    }
    CHECK(listening);
    REQUIRE(silent.size() == 1);
    REQUIRE(back.size() == 1);
    REQUIRE(stopped.size() == 1);

    CHECK(silent[0].at("level") == "warn");
    CHECK(silent[0].at("address").get<std::string>().rfind("127.0.0.1:", 0) == 0);
    REQUIRE(silent[0].at("silent_for").is_number());
    CHECK(silent[0].at("silent_for").get<double>() >= 0.3);
    CHECK(silent[0].at("last_seq") == 2);
    CHECK(silent[0].at("timeout").get<double>() == Approx(0.3));

    CHECK(back[0].at("level") == "info");
    CHECK(back[0].at("address").get<std::string>().rfind("127.0.0.1:", 0) == 0);
    REQUIRE(back[0].at("away_for").is_number());
    CHECK(back[0].at("away_for").get<double>() >= 0.3);
    CHECK(back[0].at("lost") == 2);
    CHECK(back[0].at("restarted") == false);

    CHECK(stopped[0].at("datagrams") == 3);
    CHECK(stopped[0].at("accepted") == 3);
    CHECK(stopped[0].at("hosts") == 1);
    CHECK(stopped[0].at("rejected") == 0);
}

TEST_CASE("text logs stay the default with key=value lines", "[log_format]") {
    Server s = start_server();
    s.proc->signal(SIGTERM);
    const auto stopped = s.proc->wait_for_line("INFO stopped datagrams=0 accepted=0 ");
    REQUIRE(stopped);
    CHECK(stopped->front() != '{');
    REQUIRE(s.proc->wait_exit() == 0);
}
