// The beat_client agent end to end: the real binary beating at real beat_servers on 127.0.0.1.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.hpp"

using namespace beat::test;
using Catch::Matchers::Contains;

namespace {

// Beats this often in the tests: the server's timeout is three intervals.
const std::string kInterval = "0.2";

std::string udp_arg(std::uint16_t port) {
    return loopback_endpoint(port);
}

// The reply to "get <key>" with its "ok" line and final empty line removed: one line per point.
std::string points(const Server& s, const std::string& key) {
    const std::string reply = tcp_request(s.tcp_port, "get " + key + "\n");
    REQUIRE(reply.rfind("ok\n", 0) == 0);
    return reply.substr(3, reply.size() - 4);
}

// Polls "get <key>" until it has at least one point or `timeout` passes; returns the points.
std::string wait_for_points(const Server& s, const std::string& key,
                            std::chrono::milliseconds timeout = 5s) {
    const auto deadline = Clock::now() + timeout;
    std::string got;
    while ((got = points(s, key)).empty() && Clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    return got;
}

// The value of the newest point in `lines` ("key value timestamp" lines).
std::string last_value(const std::string& lines) {
    const std::size_t start = lines.rfind('\n', lines.size() - 2);
    const std::string last = lines.substr(start == std::string::npos ? 0 : start + 1);
    const std::size_t a = last.find(' '), b = last.rfind(' ');
    return last.substr(a + 1, b - a - 1);
}

// A UDP port on 127.0.0.1 that was free a moment ago.
std::uint16_t free_udp_port() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// A file under the temporary directory, removed when the test ends.
struct TempFile {
    std::filesystem::path path;
    explicit TempFile(const std::string& name)
        : path(std::filesystem::temp_directory_path() /
               ("beat-agent-test-" + std::to_string(::getpid()) + "-" + name)) {}
    ~TempFile() { std::filesystem::remove(path); }
    // Replaces the content in one rename, as a script publishing metrics should.
    void write(const std::string& text) const {
        const auto tmp = path.string() + ".new";
        std::ofstream(tmp) << text;
        std::filesystem::rename(tmp, path);
    }
};

std::size_t count_lines(Process& p, const std::string& needle) {
    const auto lines = p.lines();
    return static_cast<std::size_t>(std::count_if(lines.begin(), lines.end(), [&](const auto& l) {
        return l.find(needle) != std::string::npos;
    }));
}

}  // namespace

TEST_CASE("an agent shows up at a real server with its metrics queryable as host.metric",
          "[agent]") {
    Server s = start_server();
    auto agent = start_agent({"--server", udp_arg(s.udp_port), "--interval", kInterval, "--host",
                              "agent-a", "--metric", "role=3"});
    const auto line = s.proc->wait_for_line("host new host=agent-a");
    REQUIRE(line);
    CHECK(field(*line, "interval") == "0.2s");
    for (const char* metric :
         {"cpu", "mem.used_pct", "mem.avail_bytes", "load.1", "load.5", "load.15", "intr", "ctxt",
          "uptime", "disk./.used_pct", "agent.rss_bytes"}) {
        INFO(metric);
        CHECK_FALSE(wait_for_points(s, std::string("agent-a.") + metric).empty());
    }
    CHECK(last_value(wait_for_points(s, "agent-a.role")) == "3.0");
    const double used = std::stod(last_value(points(s, "agent-a.mem.used_pct")));
    CHECK(used > 0.0);
    CHECK(used < 100.0);
}

TEST_CASE("SIGTERM stops the agent promptly with exit code 0", "[agent]") {
    Server s = start_server();
    auto agent = start_agent({"--server", udp_arg(s.udp_port), "--interval", "60"});
    REQUIRE(agent->wait_for_line("beating "));
    agent->signal(SIGTERM);
    CHECK(agent->wait_exit(2s) == 0);
    auto other = start_agent({"--server", udp_arg(s.udp_port), "--interval", "60"});
    REQUIRE(other->wait_for_line("beating "));
    other->signal(SIGINT);
    CHECK(other->wait_exit(2s) == 0);
}

TEST_CASE("killing the agent makes the server report it silent", "[agent]") {
    Server s = start_server();
    auto agent = start_agent(
        {"--server", udp_arg(s.udp_port), "--interval", kInterval, "--host", "agent-killed"});
    REQUIRE(s.proc->wait_for_line("host new host=agent-killed"));
    agent->signal(SIGKILL);
    REQUIRE(agent->wait_exit());
    CHECK(s.proc->wait_for_line("host silent host=agent-killed", 3s));
}

TEST_CASE("an agent started before its server is picked up once the server starts", "[agent]") {
    const std::uint16_t port = free_udp_port();
    auto agent = start_agent({"--server", udp_arg(port), "--interval", kInterval, "--host",
                              "agent-early", "--log-level", "debug"});
    // Nothing listens yet: loopback answers with "port unreachable", logged once, not per beat.
    REQUIRE(agent->wait_for_line("server unreachable server=" + udp_arg(port)));
    REQUIRE(agent->wait_for_line("beat sequence=4 "));
    CHECK(count_lines(*agent, "server unreachable") == 1);

    Process server({server_bin(), "--http", "127.0.0.1:0", "--udp", udp_arg(port), "--tcp",
                    "127.0.0.1:0", "--durability", "off"});
    REQUIRE(server.wait_for_line("listening "));
    CHECK(server.wait_for_line("host new host=agent-early"));
    CHECK(agent->wait_for_line("server reachable again server=" + udp_arg(port)));
}

TEST_CASE("two servers both receive every beat", "[agent]") {
    Server a = start_server();
    Server b = start_server();
    auto agent = start_agent({"--server", udp_arg(a.udp_port), "--server", udp_arg(b.udp_port),
                              "--interval", kInterval, "--host", "agent-twice"});
    CHECK(a.proc->wait_for_line("host new host=agent-twice"));
    CHECK(b.proc->wait_for_line("host new host=agent-twice"));
    CHECK_FALSE(wait_for_points(a, "agent-twice.uptime").empty());
    CHECK_FALSE(wait_for_points(b, "agent-twice.uptime").empty());
}

TEST_CASE("an unresolvable server is logged once and the others still get beats", "[agent]") {
    Server s = start_server();
    auto agent =
        start_agent({"--server", "no-such-host.invalid:43278", "--server", udp_arg(s.udp_port),
                     "--interval", kInterval, "--host", "agent-resolve"});
    CHECK(agent->wait_for_line("server unresolvable server=no-such-host.invalid:43278"));
    CHECK(s.proc->wait_for_line("host new host=agent-resolve"));
    agent->signal(SIGTERM);
    CHECK(agent->wait_exit(3s) == 0);
    CHECK(count_lines(*agent, "server unresolvable") == 1);
}

TEST_CASE("the metrics file is read every beat and again on SIGHUP", "[agent]") {
    Server s = start_server();
    TempFile file("metrics");
    file.write("# from a cron job\nqueue.depth 5\n");
    auto agent = start_agent({"--server", udp_arg(s.udp_port), "--interval", kInterval, "--host",
                              "agent-file", "--metrics-file", file.path.string()});
    CHECK(last_value(wait_for_points(s, "agent-file.queue.depth")) == "5.0");

    file.write("queue.depth 7\nbad line here\n");
    agent->signal(SIGHUP);
    const auto line = agent->wait_for_line("metrics file read ");
    REQUIRE(line);
    CHECK(field(*line, "metrics") == "1");
    CHECK_THAT(*line, Contains("problem=1 bad line (line 2: "));
    const auto deadline = Clock::now() + 5s;
    while (last_value(points(s, "agent-file.queue.depth")) != "7.0" && Clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    CHECK(last_value(points(s, "agent-file.queue.depth")) == "7.0");
    CHECK(count_lines(*agent, "metrics file path=") == 0);  // already told, not per beat
}

TEST_CASE("a bad value in the config file exits 2 with a message naming the key", "[agent]") {
    TempFile config("bad.toml");
    config.write("servers = [\"127.0.0.1:1\"]\ninterval = \"often\"\n");
    auto agent = start_agent({"--config", config.path.string()});
    CHECK(agent->wait_exit() == 2);
    CHECK_THAT(agent->lines().at(0), Contains("interval: "));

    auto usage = start_agent({"--interval"});
    CHECK(usage->wait_exit() == 2);
}

TEST_CASE("a config file sets the agent up and flags override it", "[agent]") {
    Server s = start_server();
    TempFile config("good.toml");
    config.write(
        "servers = [\"127.0.0.1:1\"]\ninterval = 0.2\nhost = \"from-file\"\n"
        "[metrics]\nrack = 4\n[collectors.net]\nenabled = false\n");
    auto agent = start_agent(
        {"--config", config.path.string(), "--server", udp_arg(s.udp_port), "--metric", "rack=5"});
    CHECK(s.proc->wait_for_line("host new host=from-file"));
    CHECK(last_value(wait_for_points(s, "from-file.rack")) == "5.0");
    CHECK_FALSE(wait_for_points(s, "from-file.uptime").empty());
    CHECK(tcp_request(s.tcp_port, "get *\n").find("from-file.net.") == std::string::npos);
}

TEST_CASE("once --print --dry-run prints one decoded beat and sends nothing", "[agent]") {
    auto once = start_agent({"once", "--print", "--dry-run", "--host", "check-me", "--metric",
                             "answer=42", "--disable", "cpu,net"});
    REQUIRE(once->wait_exit() == 0);
    const std::string out = once->stdout_text();
    CHECK_THAT(out, Contains("host check-me incarnation "));
    CHECK_THAT(out, Contains("sequence 1 interval 5s"));
    CHECK_THAT(out, Contains("\n  mem.used_pct "));
    CHECK_THAT(out, Contains("\n  answer "));
    CHECK(out.find("  cpu ") == std::string::npos);
}

TEST_CASE("once sends one beat that the server records", "[agent]") {
    Server s = start_server();
    auto once = start_agent(
        {"once", "--server", udp_arg(s.udp_port), "--host", "once-sent", "--disable", "cpu,net"});
    CHECK(once->wait_exit() == 0);
    CHECK(s.proc->wait_for_line("host new host=once-sent"));
    CHECK_FALSE(wait_for_points(s, "once-sent.load.1").empty());
}

#if defined(NDEBUG)
TEST_CASE("the agent stays under 4 MiB resident while it beats", "[agent]") {
    if (sanitized()) {
        WARN("skipped: sanitizer instrumentation multiplies resident memory (BEAT_SANITIZED)");
        return;
    }
    Server s = start_server();
    auto agent = start_agent({"--server", udp_arg(s.udp_port), "--interval", "0.05", "--host",
                              "agent-small", "--log-level", "debug"});
    // After twenty beats every code path of a beat has run at least once.
    REQUIRE(agent->wait_for_line("beat sequence=20 "));
    const std::size_t rss_kib = vm_rss_kib(agent->pid());
    INFO("VmRSS " << rss_kib << " kB");
    CHECK(rss_kib > 0);
    CHECK(rss_kib < 4096);
}
#endif
