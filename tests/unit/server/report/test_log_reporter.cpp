#include <arpa/inet.h>
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "beat_server/core/report/log_reporter.hpp"
#include "common/log.hpp"

using namespace beat;
using nlohmann::json;

namespace {

SourceAddress address_of(const char* ip, std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    REQUIRE(::inet_pton(AF_INET, ip, &a.sin_addr) == 1);
    return SourceAddress(reinterpret_cast<const sockaddr*>(&a));
}

// A host "palm" at 10.0.0.7:4000, beating every second and last heard at 10 s.
EventHost palm() {
    return {"palm", address_of("10.0.0.7", 4000)};
}

// What the fixed detector reads of palm: no phi, no loss, its next beat due at 11 s.
constexpr DetectorReading kPalmReading{std::nullopt, 0, 11'000};

// Every captured line parsed, each required to be one line of json.
std::vector<json> parsed(const LogCapture& capture) {
    std::vector<json> out;
    for (const std::string& line : capture.lines()) {
        REQUIRE(line.find('\n') == line.size() - 1);
        out.push_back(json::parse(line));
    }
    return out;
}

}  // namespace

TEST_CASE("host events read in text exactly as operators and tests grep them", "[log_reporter]") {
    LogCapture capture(LogFormat::text, true);
    LogReporter reporter;
    reporter.on_event(HostNew{palm(), 10'000, 1000, 0xabc});
    reporter.on_event(HostRestarted{palm(), 10'000, 0xabc, 2});
    reporter.on_event(HostSilent{palm(), 13'500, 3500, 41, 3000, kPalmReading});
    reporter.on_event(HostBack{palm(), 14'000, 4000, 3, false, kPalmReading});
    reporter.on_event(HostBack{palm(), 14'000, 4000, 0, true, kPalmReading});
    reporter.on_event(HostBack{palm(), 14'000, 4000, 0, false, kPalmReading, false});
    reporter.on_event(HostFlapping{palm(), 13'500, 3500, 3000, kPalmReading});
    reporter.on_event(HostSettled{palm(), 20'000, HostState::silent, 10'000, kPalmReading});
    reporter.on_event(HostForgotten{palm(), 20'000, 10'000});
    const std::vector<std::string> expected = {
        "<6>INFO host new host=palm address=10.0.0.7:4000 interval=1s "
        "incarnation=0000000000000abc\n",
        "<6>INFO host restarted host=palm address=10.0.0.7:4000 incarnation=0000000000000abc "
        "restarts=2\n",
        "<4>WARN host silent host=palm silent_for=3.5s address=10.0.0.7:4000 last_seq=41 "
        "timeout=3s phi=- loss=0.0% next_beat=-2.5s\n",
        "<6>INFO host back host=palm away_for=4s lost=3 address=10.0.0.7:4000 phi=- loss=0.0% "
        "next_beat=-3s\n",
        "<6>INFO host back host=palm away_for=4s lost=unknown restarted=yes "
        "address=10.0.0.7:4000 phi=- loss=0.0% next_beat=-3s\n",
        // A PyHeartBeat host's beats are not numbered.
        "<6>INFO host back host=palm away_for=4s lost=unknown address=10.0.0.7:4000 phi=- "
        "loss=0.0% next_beat=-3s\n",
        "<4>WARN host flapping host=palm silent_for=3.5s address=10.0.0.7:4000 timeout=3s phi=- "
        "loss=0.0% next_beat=-2.5s (its silences and returns are not logged until it settles)\n",
        "<6>INFO host settled host=palm state=silent silent_for=10s address=10.0.0.7:4000 phi=- "
        "loss=0.0% next_beat=-9s\n",
        "<6>INFO host forgotten host=palm silent_for=10s address=10.0.0.7:4000\n",
    };
    CHECK(capture.lines() == expected);
}

TEST_CASE("datagram problems and summaries read in text as before", "[log_reporter]") {
    LogCapture capture(LogFormat::text, true);
    LogReporter reporter(1);
    const SourceAddress from = address_of("10.0.0.9", 5000);
    reporter.on_event(InvalidDatagram{DecodeError::bad_magic, from, 0});
    reporter.on_event(
        InvalidDatagram{DecodeError::bad_magic, from, 1});  // Held back: same address.
    reporter.on_event(DatagramRefused{Refusal::host_limit, "elm", from, 0});
    const std::vector<SilentHost> silent = {{"palm", 10'000}, {"oak", 10'000}};
    reporter.on_event(SilentSummary{20'000, {}, 4, 0});
    reporter.on_event(SilentSummary{20'000, silent, 4, 0});
    reporter.on_event(SilentSummary{20'000, silent, 4, 3});
    reporter.on_event(SilentSummary{20'000, {}, 4, 1});
    REQUIRE(capture.lines().size() == 6);
    CHECK(capture.lines()[0] == fmt::format("<4>WARN invalid datagram from=10.0.0.9:5000 reason={} "
                                            "suppressed_since_last=0\n",
                                            to_string(DecodeError::bad_magic)));
    CHECK(capture.lines()[1] ==
          "<4>WARN refused datagram from=10.0.0.9:5000 host=elm reason=host_limit "
          "suppressed_since_last=0\n");
    CHECK(capture.lines()[2] == "<6>INFO silent hosts: none (up=4)\n");
    CHECK(capture.lines()[3] == "<6>INFO silent hosts: 2 (up=4): palm (10s), and 1 more\n");
    // Flapping hosts are counted when there are any.
    CHECK(capture.lines()[4] ==
          "<6>INFO silent hosts: 2 (up=4, flapping=3): palm (10s), and 1 more\n");
    CHECK(capture.lines()[5] == "<6>INFO silent hosts: none (up=4, flapping=1)\n");
}

TEST_CASE("a silence and a return are one json event each with typed fields", "[log_reporter]") {
    LogCapture capture(LogFormat::json, false);
    LogReporter reporter;
    reporter.on_event(HostSilent{palm(), 13'500, 3500, 41, 3000, kPalmReading});
    reporter.on_event(HostBack{palm(), 14'000, 4250, 3, false, kPalmReading});
    reporter.on_event(HostBack{palm(), 14'000, 4000, 0, true, kPalmReading});
    const std::vector<json> events = parsed(capture);
    REQUIRE(events.size() == 3);

    const json& silent = events[0];
    CHECK(silent.at("level") == "warn");
    CHECK(silent.at("event") == "host_silent");
    CHECK(silent.at("host") == "palm");
    CHECK(silent.at("address") == "10.0.0.7:4000");
    CHECK(silent.at("silent_for").get<double>() == Approx(3.5));
    CHECK(silent.at("last_seq") == 41);
    CHECK(silent.at("timeout").get<double>() == Approx(3.0));
    CHECK(silent.at("phi").is_null());
    CHECK(silent.at("loss").is_number());
    CHECK(silent.at("next_beat").get<double>() == Approx(-2.5));

    const json& back = events[1];
    CHECK(back.at("level") == "info");
    CHECK(back.at("event") == "host_back");
    CHECK(back.at("away_for").get<double>() == Approx(4.25));
    CHECK(back.at("lost") == 3);
    CHECK(back.at("restarted") == false);

    const json& restarted = events[2];
    CHECK(restarted.at("lost").is_null());
    CHECK(restarted.at("restarted") == true);
}

TEST_CASE("the json summary gives counts and the silent names shown", "[log_reporter]") {
    LogCapture capture(LogFormat::json, false);
    LogReporter reporter(1);
    reporter.on_event(SilentSummary{20'000, {{"palm", 10'000}, {"oak", 10'000}}, 4, 2});
    reporter.on_event(
        DatagramRefused{Refusal::host_limit, "elm\n\"x\"", address_of("10.0.0.9", 5000), 0});
    const std::vector<json> events = parsed(capture);
    REQUIRE(events.size() == 2);
    CHECK(events[0].at("event") == "silent_summary");
    CHECK(events[0].at("silent") == 2);
    CHECK(events[0].at("up") == 4);
    CHECK(events[0].at("flapping") == 2);
    CHECK(events[0].at("hosts") == json::array({"palm"}));
    CHECK(events[0].at("not_named") == 1);
    CHECK(events[1].at("event") == "datagram_refused");
    CHECK(events[1].at("host") == "elm\n\"x\"");
    CHECK(events[1].at("reason") == "host_limit");
    CHECK(events[1].at("from") == "10.0.0.9:5000");
}

TEST_CASE("a host's detector figures are the ones its event carries", "[log_reporter]") {
    LogCapture capture(LogFormat::text, true);
    LogReporter reporter;
    // Phi past its threshold, one beat in twenty lost, the next beat 1.5 s overdue at 13.5 s.
    const DetectorReading reading{9.25, 0.05, 12'000};
    reporter.on_event(HostSilent{palm(), 13'500, 3500, 41, 3000, reading});
    reporter.on_event(HostSettled{palm(), 14'000, HostState::up, 250, reading});
    const std::vector<std::string> expected = {
        "<4>WARN host silent host=palm silent_for=3.5s address=10.0.0.7:4000 last_seq=41 "
        "timeout=3s phi=9.25 loss=5.0% next_beat=-1.5s\n",
        "<6>INFO host settled host=palm state=up last_heard=0.25s address=10.0.0.7:4000 "
        "phi=9.25 loss=5.0% next_beat=-2s\n",
    };
    CHECK(capture.lines() == expected);
}

TEST_CASE("refused metric values are one warn line each time the monitor reports them",
          "[log_reporter]") {
    {
        LogCapture capture(LogFormat::text, true);
        LogReporter reporter;
        reporter.on_event(MetricsRefused{palm(), 42, 256, 60'000});
        reporter.on_event(MetricsRefused{palm(), 7, 256, 120'000});
        REQUIRE(capture.lines().size() == 2);
        CHECK(capture.lines()[0] ==
              "<4>WARN metrics refused host=palm refused=42 limit=256 address=10.0.0.7:4000 "
              "(values under new names beyond the limit since the host's last such line; at "
              "most one a minute)\n");
        CHECK(capture.lines()[1].starts_with("<4>WARN metrics refused host=palm refused=7 "));
    }
    LogCapture capture(LogFormat::json, false);
    LogReporter reporter;
    reporter.on_event(MetricsRefused{palm(), 42, 256, 60'000});
    const std::vector<json> events = parsed(capture);
    REQUIRE(events.size() == 1);
    CHECK(events[0].at("level") == "warn");
    CHECK(events[0].at("event") == "metrics_refused");
    CHECK(events[0].at("host") == "palm");
    CHECK(events[0].at("refused") == 42);
    CHECK(events[0].at("limit") == 256);
    CHECK(events[0].at("address") == "10.0.0.7:4000");
}

TEST_CASE("a plan applied is logged at info, and at debug when a reload moved the host to it",
          "[log_reporter]") {
    LogCapture capture(LogFormat::text, true);
    LogReporter reporter;
    reporter.on_event(PlanApplied{palm(), 10'000, "db", 0x1a2b3c4d, false});
    reporter.on_event(PlanApplied{palm(), 11'000, "local", 0, false});
    reporter.on_event(PlanApplied{palm(), 12'000, "db", 0x0000beef, true});
    const std::vector<std::string> expected = {
        "<6>INFO plan applied host=palm plan=db version=1a2b3c4d address=10.0.0.7:4000\n",
        "<6>INFO plan withdrawn host=palm address=10.0.0.7:4000 (the server has no plan for it: "
        "its agent runs its local settings)\n",
    };
    CHECK(capture.lines() == expected);

    set_log_level(LogLevel::debug);
    reporter.on_event(PlanApplied{palm(), 12'000, "db", 0x0000beef, true});
    set_log_level(LogLevel::info);
    REQUIRE(capture.lines().size() == 3);
    CHECK(capture.lines()[2] ==
          "<7>DEBUG plan applied host=palm plan=db version=0000beef address=10.0.0.7:4000\n");
}

TEST_CASE("a plan applied reads in json with its plan and version", "[log_reporter]") {
    LogCapture capture(LogFormat::json, false);
    LogReporter reporter;
    reporter.on_event(PlanApplied{palm(), 10'000, "db", 0x1a2b3c4d, false});
    const std::vector<json> lines = parsed(capture);
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].at("event") == "plan_applied");
    CHECK(lines[0].at("host") == "palm");
    CHECK(lines[0].at("plan") == "db");
    CHECK(lines[0].at("version") == "1a2b3c4d");
}
