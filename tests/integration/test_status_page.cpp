// The HTTP port's /hosts, status page and host pages against the real server, with real agents
// beating, one of which dies and one of which is stopped for a while; the pages are loaded in
// headless Chromium.
#include <catch2/catch.hpp>

#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "common/wire.hpp"
#include "tests/integration/harness.hpp"
#include "tests/occurrences.hpp"

using namespace beat::test;
using nlohmann::json;

namespace {

const std::string kChromium = "/usr/bin/chromium";

// A server with --timeout 1 and two agents beating every 0.2 s, "steady-host" that keeps beating
// and "doomed-host" that was killed and has been reported silent.
struct FleetWithASilentHost {
    FleetWithASilentHost() : server(start_server({"--timeout", "1"})) {
        REQUIRE(server.http_port != 0);
        // One after the other: wait_for_line() does not look back at lines before its last match.
        steady = start_agent({"--server", loopback_endpoint(server.udp_port), "--interval", "0.2",
                              "--host", "steady-host"});
        REQUIRE(server.proc->wait_for_line("host new host=steady-host"));
        doomed = start_agent({"--server", loopback_endpoint(server.udp_port), "--interval", "0.2",
                              "--host", "doomed-host"});
        REQUIRE(server.proc->wait_for_line("host new host=doomed-host"));
        doomed->signal(SIGKILL);
        REQUIRE(doomed->wait_exit(5s));
        REQUIRE(server.proc->wait_for_line("host silent host=doomed-host", 10s));
    }
    std::string url() const { return "http://" + loopback_endpoint(server.http_port) + "/"; }

    Server server;
    std::unique_ptr<Process> steady, doomed;
};

// Runs headless Chromium with `args` then `url`, waiting at most 30 s; returns its stdout.
std::string run_chromium(const std::vector<std::string>& args, const std::string& url) {
    if (!std::filesystem::exists(kChromium))
        FAIL(kChromium << " is missing: install Debian's chromium package to run this test");
    const TempDir profile;
    std::vector<std::string> argv = {kChromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                                     "--user-data-dir=" + profile.path()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(url);
    Process chromium(argv);
    const std::optional<int> code = chromium.wait_exit(30s);
    if (!code) FAIL("chromium did not finish within 30 s");
    if (*code != 0) {
        std::string err;
        for (const std::string& line : chromium.lines())
            err += line + "\n";
        FAIL("chromium exited with " << *code << ":\n" << err);
    }
    return chromium.stdout_text();
}

// The table row of `dom` that holds the cell naming `host` (a link to its page), or "" when
// there is none.
std::string row_of(const std::string& dom, const std::string& host) {
    const std::size_t cell = dom.find(">" + host + "</a></td>");
    if (cell == std::string::npos) return {};
    const std::size_t begin = dom.rfind("<tr", cell);
    const std::size_t end = dom.find("</tr>", cell);
    if (begin == std::string::npos || end == std::string::npos) return {};
    return dom.substr(begin, end - begin);
}

// Takes a screenshot of `url` at 1200x900 into $`env` or `name` in the working directory, checks
// it is a PNG of some substance and prints where it is.
void screenshot(const std::string& url, const char* env, const std::string& name) {
    const char* wanted = std::getenv(env);
    const std::filesystem::path shot =
        wanted && *wanted ? std::filesystem::path(wanted) : std::filesystem::current_path() / name;
    std::filesystem::remove(shot);
    run_chromium({"--screenshot=" + shot.string(), "--window-size=1200,900"}, url);
    REQUIRE(std::filesystem::exists(shot));
    std::ifstream in(shot, std::ios::binary);
    const std::string png((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(png.rfind("\x89PNG\r\n\x1a\n", 0) == 0);
    CHECK(png.size() > 8 * 1024);
    std::cout << name << ": " << shot.string() << " (" << png.size() << " bytes)\n";
}

// GETs `target` until it answers `status`, for at most 5 s; the last reply.
HttpReply get_until(std::uint16_t port, const std::string& target, int status) {
    const auto until = Clock::now() + 5s;
    HttpReply r = http_get(port, target);
    while (r.status != status && Clock::now() < until) {
        std::this_thread::sleep_for(20ms);
        r = http_get(port, target);
    }
    return r;
}

}  // namespace

TEST_CASE("GET /hosts shows a killed agent's host silent and first and the other up",
          "[http][status_page]") {
    const FleetWithASilentHost f;
    const HttpReply reply = http_get(f.server.http_port, "/hosts");
    REQUIRE(reply.status == 200);
    CHECK(reply.headers.find("Content-Type: application/json") != std::string::npos);
    CHECK(reply.headers.find("Cache-Control: no-store") != std::string::npos);
    const json j = json::parse(reply.body);
    CHECK(j.at("hosts_up") == 1);
    CHECK(j.at("hosts_silent") == 1);
    REQUIRE(j.at("hosts").size() == 2);
    const json& doomed = j.at("hosts").at(0);
    const json& steady = j.at("hosts").at(1);
    CHECK(doomed.at("name") == "doomed-host");
    CHECK(doomed.at("state") == "silent");
    CHECK(doomed.at("last_seen_age_seconds").get<double>() >= 1.0);
    CHECK(steady.at("name") == "steady-host");
    CHECK(steady.at("state") == "up");
    CHECK(steady.at("last_seen_age_seconds").get<double>() < 1.0);
    CHECK(steady.at("address").get<std::string>().rfind("127.0.0.1:", 0) == 0);
    CHECK(steady.at("interval_seconds") == Approx(0.2));
    CHECK(steady.at("metrics").at("mem.used_pct").is_number());

    const HttpReply one = http_get(f.server.http_port, "/hosts/doomed-host");
    REQUIRE(one.status == 200);
    CHECK(json::parse(one.body).at("state") == "silent");
    CHECK(http_get(f.server.http_port, "/hosts/nobody").status == 404);
}

TEST_CASE("headless Chromium shows the silent host first and marked silent on the status page",
          "[http][status_page][chromium]") {
    const FleetWithASilentHost f;
    const std::string dom = run_chromium({"--dump-dom"}, f.url());
    INFO(dom.substr(0, 4000));
    CHECK(dom.find("2 hosts: ") != std::string::npos);
    const std::string doomed = row_of(dom, "doomed-host");
    const std::string steady = row_of(dom, "steady-host");
    REQUIRE(!doomed.empty());
    REQUIRE(!steady.empty());
    CHECK(doomed.rfind(R"(<tr class="silent">)", 0) == 0);
    CHECK(doomed.find(R"(<span class="state silent">silent</span>)") != std::string::npos);
    CHECK(steady.find(R"(<span class="state up">up</span>)") != std::string::npos);
    CHECK(dom.find("doomed-host") < dom.find("steady-host"));
    CHECK(steady.find(R"(<a href="/host/steady-host">)") != std::string::npos);
    CHECK(occurrences(steady, R"(<svg class="spark")") == 2);  // CPU and memory.
    CHECK(dom.find(R"(<p class="fleet"><svg)") != std::string::npos);
    screenshot(f.url(), "BEAT_SCREENSHOT", "status_page.png");
}

TEST_CASE("headless Chromium draws the host page's charts with a stopped agent's silence shaded",
          "[http][status_page][chromium]") {
    const Server server = start_server({"--timeout", "1"});
    REQUIRE(server.http_port != 0);
    const auto agent = start_agent({"--server", loopback_endpoint(server.udp_port), "--interval",
                                    "0.2", "--host", "paused-host"});
    REQUIRE(server.proc->wait_for_line("host new host=paused-host"));
    agent->signal(SIGSTOP);
    REQUIRE(server.proc->wait_for_line("host silent host=paused-host", 10s));
    agent->signal(SIGCONT);
    REQUIRE(server.proc->wait_for_line("host back host=paused-host", 10s));
    const std::string url = "http://" + loopback_endpoint(server.http_port) + "/host/paused-host";

    const std::string dom = run_chromium({"--dump-dom"}, url);
    INFO(dom.substr(0, 4000));
    const std::size_t charts = occurrences(dom, R"(<svg class="chart")");
    CHECK(charts >= 5);  // The agent sends cpu, memory, load, disk and network figures.
    CHECK(occurrences(dom, R"(<path class="line" d="M)") == charts);
    CHECK(occurrences(dom, R"(<rect class="silent")") == charts);
    CHECK(dom.find("<figcaption>cpu</figcaption>") != std::string::npos);
    CHECK(dom.find("<figcaption>mem.used_pct</figcaption>") != std::string::npos);
    CHECK(dom.find("<td>back</td>") < dom.find("<td>silent</td>"));
    CHECK(dom.find("<td>silent</td>") < dom.find("<td>new</td>"));
    screenshot(url, "BEAT_HOST_SCREENSHOT", "host_page.png");

    CHECK(http_get(server.http_port, "/host/paused-host?range=7d").status == 200);
    CHECK(http_get(server.http_port, "/host/paused-host?range=2d").status == 400);
    CHECK(http_get(server.http_port, "/host/nobody").status == 404);
}

TEST_CASE("headless Chromium shows host and metric names with <, \" and & as text",
          "[http][status_page][chromium]") {
    const Server server = start_server();
    beat::Heartbeat hb;
    hb.host = "a<b\"&c";
    hb.incarnation = 1;
    hb.interval_ms = 1000;
    hb.metrics = {{"m<x\"&y", 1}};
    for (std::uint64_t seq = 1; seq <= 2; ++seq) {
        hb.sequence = seq;
        hb.send_time_ms = unix_now_ms();
        send_udp(server.udp_port, beat::pack_beat(hb).at(0));
    }
    const std::string path = "/host/a%3Cb%22%26c";
    REQUIRE(get_until(server.http_port, path, 200).status == 200);
    const std::string base = "http://" + loopback_endpoint(server.http_port);

    const std::string status = run_chromium({"--dump-dom"}, base + "/");
    INFO(status.substr(0, 4000));
    CHECK(status.find(R"(<a href="/host/a%3Cb%22%26c">a&lt;b"&amp;c</a>)") != std::string::npos);
    CHECK(status.find("a<b") == std::string::npos);

    const std::string page = run_chromium({"--dump-dom"}, base + path);
    INFO(page.substr(0, 4000));
    CHECK(page.find(R"(<h1>a&lt;b"&amp;c <span)") != std::string::npos);
    CHECK(page.find(R"(<figcaption>m&lt;x"&amp;y</figcaption>)") != std::string::npos);
    CHECK(page.find("a<b") == std::string::npos);
    CHECK(page.find("m<x") == std::string::npos);
    CHECK(occurrences(page, R"(<svg class="chart")") == 1);
}

TEST_CASE("a host's transitions are on its page again after the server restarts",
          "[http][status_page]") {
    const TempDir data;
    {
        const Server server = start_server({"--timeout", "1", "--data-dir", data.path()});
        const auto agent = start_agent({"--server", loopback_endpoint(server.udp_port),
                                        "--interval", "0.2", "--host", "kept-host"});
        REQUIRE(server.proc->wait_for_line("host new host=kept-host"));
        agent->signal(SIGKILL);
        REQUIRE(agent->wait_exit(5s));
        REQUIRE(server.proc->wait_for_line("host silent host=kept-host", 10s));
        server.proc->signal(SIGTERM);
        REQUIRE(server.proc->wait_exit(10s) == 0);
    }
    const Server server = start_server({"--timeout", "1", "--data-dir", data.path()});
    const HttpReply page = http_get(server.http_port, "/host/kept-host");
    REQUIRE(page.status == 200);
    CHECK(page.body.find("<td>silent</td>") < page.body.find("<td>new</td>"));
    CHECK(page.body.find("<td>new</td>") != std::string::npos);
}
