// Plugins end to end: the real beat_client running shell-script plugins from its config file,
// beating at the real beat_server on 127.0.0.1.
#include <catch2/catch.hpp>

#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>

#include "tests/integration/harness.hpp"

using namespace beat::test;
using nlohmann::json;

namespace {

// The reply to "get `key`" after at least one point came, polled for up to five seconds.
std::string wait_for_points(const Server& s, const std::string& key) {
    const auto deadline = Clock::now() + 5s;
    std::string reply;
    while (Clock::now() < deadline) {
        reply = tcp_request(s.tcp_port, "get " + key + "\n");
        if (reply != "ok\n\n") break;
        std::this_thread::sleep_for(20ms);
    }
    return reply;
}

// The beats the server has counted from `host` (/hosts/NAME), 0 before it knows the host.
int beats_of(const Server& s, const std::string& host) {
    const HttpReply r = http_get(s.http_port, "/hosts/" + host);
    return r.status == 200 ? json::parse(r.body).at("beats").get<int>() : 0;
}

// The value `once --print` shows for metric `name` (a line "  NAME  VALUE"), or "".
std::string printed_value(const std::string& out, const std::string& name) {
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
        std::istringstream fields(line);
        std::string first, value;
        if (fields >> first >> value && first == name) return value;
    }
    return "";
}

}  // namespace

TEST_CASE("a plugin's metrics reach the server as host.plugin.metric", "[plugins]") {
    TempDir dir;
    const std::string script = write_script(dir, "web", "echo 'requests 42'\necho 'up 1'\n");
    const std::string config = write_file(
        dir, "client.toml", "[plugins.web]\ncommand = [\"" + script + "\"]\nevery = \"0.2s\"\n");
    Server s = start_server();
    auto agent = start_agent({"--config", config, "--server", loopback_endpoint(s.udp_port),
                              "--interval", "0.2", "--host", "plug-a"});
    const std::string reply = wait_for_points(s, "plug-a.web.requests");
    INFO(reply);
    CHECK(reply.find("plug-a.web.requests 42.0 ") != std::string::npos);
    CHECK(wait_for_points(s, "plug-a.web.up").find("plug-a.web.up 1.0 ") != std::string::npos);
    agent->signal(SIGTERM);
    CHECK(agent->wait_exit() == 0);
    const auto stopped = agent->wait_for_line("stopped ");
    REQUIRE(stopped);
    CHECK(std::stoi(field(*stopped, "plugin_runs")) >= 1);
    CHECK(field(*stopped, "plugin_failures") == "0");
}

TEST_CASE("a plugin that hangs is killed with its children at its timeout while beats go on",
          "[plugins]") {
    TempDir dir;
    const std::string pids = dir.path() + "/pids";
    // Each run notes its own pid and its child's, then waits forever.
    const std::string script = write_script(dir, "hang",
                                            "sleep 1000 &\n"
                                            "echo $$ $! >> " +
                                                pids + "\n" + "sleep 1000\n");
    const std::string config = write_file(
        dir, "client.toml",
        "[plugins.hang]\ncommand = [\"" + script + "\"]\nevery = \"1s\"\ntimeout = \"500ms\"\n");
    Server s = start_server();
    auto agent = start_agent({"--config", config, "--server", loopback_endpoint(s.udp_port),
                              "--interval", "0.2", "--host", "plug-b"});
    const auto failed = agent->wait_for_line("plugin failed plugin=hang");
    REQUIRE(failed);
    CHECK(failed->find("timed out after 500ms, its process group killed") != std::string::npos);
    pid_t shell = 0, child = 0;
    std::ifstream(pids) >> shell >> child;
    REQUIRE(shell > 0);
    REQUIRE(child > 0);
    CHECK(wait_process_gone(shell));
    CHECK(wait_process_gone(child));

    // The beats went on meanwhile and go on: ten more reach the server within five seconds.
    const int before = beats_of(s, "plug-b");
    CHECK(before >= 2);
    const auto deadline = Clock::now() + 5s;
    while (beats_of(s, "plug-b") < before + 10 && Clock::now() < deadline)
        std::this_thread::sleep_for(50ms);
    CHECK(beats_of(s, "plug-b") >= before + 10);
    agent->signal(SIGTERM);
    CHECK(agent->wait_exit() == 0);
    const auto stopped = agent->wait_for_line("stopped ");
    REQUIRE(stopped);
    // Every run (one a second) failed the same way, logged once.
    CHECK(std::stoi(field(*stopped, "plugin_failures")) >= 2);
    std::size_t logged = 0;
    for (const std::string& line : agent->lines())
        logged += line.find("plugin failed plugin=hang") != std::string::npos;
    CHECK(logged == 1);
}

TEST_CASE("once --print runs each plugin with a local period and shows its metrics", "[plugins]") {
    TempDir dir;
    const std::string fast = write_script(dir, "fast", "echo 'requests 42'\n");
    const std::string slow = write_script(dir, "slow", "sleep 0.3\necho 'rows 7'\n");
    const std::string planned = write_script(dir, "planned", "echo 'never 1'\n");
    const std::string config =
        write_file(dir, "client.toml",
                   "[plugins.fast]\ncommand = [\"" + fast + "\"]\nevery = \"10s\"\n" +
                       "[plugins.slow]\ncommand = [\"" + slow + "\"]\nevery = \"1m\"\n" +
                       "[plugins.planned]\ncommand = [\"" + planned + "\"]\n");
    auto once = start_agent({"once", "--print", "--dry-run", "--config", config, "--host", "plug-c",
                             "--disable", "cpu,net"});
    REQUIRE(once->wait_exit() == 0);
    const std::string out = once->stdout_text();
    INFO(out);
    CHECK(printed_value(out, "fast.requests") == "42");
    CHECK(printed_value(out, "slow.rows") == "7");
    // A plugin without `every` waits for a plan, which `once` does not run.
    CHECK(out.find("planned.") == std::string::npos);
}

TEST_CASE("a plugin only a plan names runs once the real server's plan for its host names it",
          "[plugins]") {
    TempDir dir;
    const std::string keys = write_file(
        dir, "keys", "plug-d 5555555555555555555555555555555555555555555555555555555555555555\n");
    const std::string plans = write_file(
        dir, "plans.toml", "[plans.p]\nhosts = [\"plug-d\"]\nplugins = { web = \"0.2s\" }\n");
    const std::string script = write_script(dir, "web", "echo 'requests 42'\n");
    // No `every`: the plugin waits for a plan.
    const std::string config =
        write_file(dir, "client.toml", "[plugins.web]\ncommand = [\"" + script + "\"]\n");
    Server s = start_server({"--key-file", keys, "--plans", plans});
    auto agent =
        start_agent({"--config", config, "--key-file", keys, "--server",
                     loopback_endpoint(s.udp_port), "--interval", "0.2", "--host", "plug-d"});
    const auto applied = agent->wait_for_line("plan applied plan=p");
    REQUIRE(applied);
    CHECK(applied->find("plugins=web (was ") != std::string::npos);
    const std::string reply = wait_for_points(s, "plug-d.web.requests");
    INFO(reply);
    CHECK(reply.find("plug-d.web.requests 42.0 ") != std::string::npos);
}
