// The HTTP port's /hosts and status page against the real server, with real agents beating, one
// of which dies; the page is loaded in headless Chromium.
#include <catch2/catch.hpp>

#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/integration/harness.hpp"

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

// The table row of `dom` that holds the cell naming `host`, or "" when there is none.
std::string row_of(const std::string& dom, const std::string& host) {
    const std::size_t cell = dom.find(">" + host + "</td>");
    if (cell == std::string::npos) return {};
    const std::size_t begin = dom.rfind("<tr", cell);
    const std::size_t end = dom.find("</tr>", cell);
    if (begin == std::string::npos || end == std::string::npos) return {};
    return dom.substr(begin, end - begin);
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

    const char* wanted = std::getenv("BEAT_SCREENSHOT");
    const std::filesystem::path shot = wanted && *wanted
                                           ? std::filesystem::path(wanted)
                                           : std::filesystem::current_path() / "status_page.png";
    std::filesystem::remove(shot);
    run_chromium({"--screenshot=" + shot.string(), "--window-size=1200,800"}, f.url());
    REQUIRE(std::filesystem::exists(shot));
    std::ifstream in(shot, std::ios::binary);
    const std::string png((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(png.rfind("\x89PNG\r\n\x1a\n", 0) == 0);
    CHECK(png.size() > 8 * 1024);
    std::cout << "status page screenshot: " << shot.string() << " (" << png.size() << " bytes)\n";
}
