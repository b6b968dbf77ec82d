// Plans end to end (README "Plans", "Plugins"): the real beat_server reads a plans file and the
// real beat_client, started with its own settings, switches to its host's plan (interval,
// collectors, a plugin), follows a change of the file on SIGHUP, and refuses a plan it cannot
// trust; a plugin that hangs is killed while the beats go on.
#include <catch2/catch.hpp>

#include <signal.h>

#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "tests/integration/harness.hpp"

using namespace beat::test;
using Catch::Matchers::Contains;
using nlohmann::json;

namespace {

const std::string kKeyHex = "6666666666666666666666666666666666666666666666666666666666666666";

// The host's entry in /hosts/NAME, or null before the server knows it.
json host_entry(const Server& s, const std::string& host) {
    const HttpReply r = http_get(s.http_port, "/hosts/" + host);
    return r.status == 200 ? json::parse(r.body) : json();
}

// Polls /hosts/NAME every 20 ms for up to 10 s until `done(entry)`; returns the last entry.
template <typename F>
json wait_for_host(const Server& s, const std::string& host, F done) {
    const auto deadline = Clock::now() + 10s;
    json h;
    while (Clock::now() < deadline) {
        h = host_entry(s, host);
        if (!h.is_null() && done(h)) return h;
        std::this_thread::sleep_for(20ms);
    }
    return h;
}

// The plans file: db hosts beat every `db_interval` with cpu and mem on each beat, disk every
// second and the plugin probe on each beat; the others every second with their collectors.
std::string plans_file(const std::string& db_interval) {
    return "[plans.db]\n"
           "hosts = [\"db-*\"]\n"
           "interval = \"" +
           db_interval +
           "\"\n"
           "collectors = { cpu = \"" +
           db_interval + "\", mem = \"" + db_interval +
           "\", disk = \"1s\" }\n"
           "plugins = { probe = \"" +
           db_interval +
           "\" }\n"
           "\n[plans.default]\n"
           "interval = \"1s\"\n";
}

}  // namespace

TEST_CASE(
    "a signed agent switches to its host's plan, follows it on SIGHUP, and a hung plugin "
    "is killed while it beats",
    "[plans_end_to_end]") {
    TempDir dir;
    const std::string keys = write_file(dir, "keys", "db-1 " + kKeyHex + "\n");
    const std::string plans = write_file(dir, "plans.toml", plans_file("200ms"));
    // The plugin answers, then hangs on its second run (a child of its shell with it).
    const std::string marker = dir.path() + "/ran";
    const std::string script =
        write_script(dir, "probe",
                     "if [ -e " + marker + " ]; then sleep 1000 & wait; fi\ntouch " + marker +
                         "\necho 'answer 42'\n");
    const std::string agent_key = write_file(dir, "agent.key", kKeyHex + "\n");
    const std::string config =
        write_file(dir, "client.toml",
                   "[plugins.probe]\ncommand = [\"" + script + "\"]\ntimeout = \"300ms\"\n");

    Server s = start_server({"--key-file", keys, "--plans", plans});
    auto agent = start_agent({"--config", config, "--server", loopback_endpoint(s.udp_port),
                              "--host", "db-1", "--interval", "2s", "--key-file", agent_key});

    // The agent starts at its own 2 s and switches to the plan's 200 ms after its first beat.
    const auto applied = agent->wait_for_line("plan applied plan=db", 10s);
    REQUIRE(applied);
    CHECK(field(*applied, "interval") == "200ms");
    CHECK(field(*applied, "collectors") == "cpu,mem,disk/5");
    CHECK(field(*applied, "plugins") == "probe");
    REQUIRE(s.proc->wait_for_line("plan applied host=db-1 plan=db"));
    json h = wait_for_host(s, "db-1", [](const json& e) {
        return e.at("interval_seconds") == 0.2 && e.at("plan_running") == e.at("plan_wanted");
    });
    CHECK(h.at("plan") == "db");
    CHECK(h.at("interval_seconds") == 0.2);
    CHECK(h.at("plan_running") == h.at("plan_wanted"));
    // The plugin's first run reaches the server under the host's name, with the beat after it.
    std::string reply;
    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline && reply.find(" 42") == std::string::npos) {
        reply = tcp_request(s.tcp_port, "get db-1.probe.answer\n");
        std::this_thread::sleep_for(20ms);
    }
    CHECK_THAT(reply, Contains(" 42"));

    // Its second run hangs: killed at its 300 ms timeout, and logged once, while beats go on.
    const auto failed = agent->wait_for_line("plugin failed plugin=probe", 10s);
    REQUIRE(failed);
    const int beats_before = h.at("beats").get<int>();
    h = wait_for_host(s, "db-1",
                      [&](const json& e) { return e.at("beats").get<int>() >= beats_before + 10; });
    CHECK(h.at("beats").get<int>() >= beats_before + 10);
    int failures = 0;
    for (const std::string& line : agent->lines())
        failures += line.find("plugin failed") != std::string::npos ? 1 : 0;
    CHECK(failures == 1);

    // A new plans file on SIGHUP reaches the agent at its next beat.
    write_file(dir, "plans.toml", plans_file("300ms"));
    s.proc->signal(SIGHUP);
    REQUIRE(s.proc->wait_for_line("plans reloaded"));
    const auto again = agent->wait_for_line("plan applied plan=db", 10s);
    REQUIRE(again);
    CHECK(field(*again, "interval") == "300ms");
    h = wait_for_host(s, "db-1", [](const json& e) {
        return e.at("interval_seconds") == 0.3 && e.at("plan_running") == e.at("plan_wanted");
    });
    CHECK(h.at("interval_seconds") == 0.3);

    agent->signal(SIGTERM);
    CHECK(agent->wait_exit() == 0);
}

TEST_CASE("an agent without a key refuses the plan a server sends unsigned and keeps its settings",
          "[plans_end_to_end]") {
    TempDir dir;
    const std::string plans = write_file(dir, "plans.toml", plans_file("200ms"));
    Server s = start_server({"--plans", plans});
    auto agent = start_agent({"--server", loopback_endpoint(s.udp_port), "--host", "db-2",
                              "--interval", "0.3", "--log-level", "debug"});
    REQUIRE(agent->wait_for_line("reason=plan_unsigned", 10s));
    // The server keeps asking, within its bound; the agent keeps beating at its own interval.
    const json h = wait_for_host(s, "db-2", [](const json& e) { return e.at("beats") >= 5; });
    CHECK(h.at("beats") >= 5);
    CHECK(h.at("interval_seconds") == 0.3);
    CHECK(h.at("plan") == "db");
    CHECK(h.at("plan_running").is_null());
    for (const std::string& line : agent->lines())
        CHECK_THAT(line, !Contains("plan applied"));
}
