// The HTTP port's /metrics as Prometheus sees it: Debian's promtool checks the real page, and a
// real Prometheus server on loopback scrapes the real beat_server while real agents beat at it.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/wire.hpp"
#include "tests/integration/harness.hpp"

using namespace beat;
using namespace beat::test;

namespace {

const char* const kPromtool = "/usr/bin/promtool";
const char* const kPrometheus = "/usr/bin/prometheus";

// Fails the test unless `path` is an executable: CI installs Debian's prometheus package
// (scripts/install-deps.sh --test), so a missing one is an error, not a reason to pass.
void require_tool(const char* path) {
    INFO(path << " is missing: run scripts/install-deps.sh --test");
    REQUIRE(::access(path, X_OK) == 0);
}

// Runs `promtool check metrics` on `page`; gives its exit code and everything it printed.
std::pair<int, std::string> promtool_check(const std::string& page) {
    const TempDir dir;
    const std::string file = dir.path() + "/metrics.txt";
    std::ofstream(file) << page;
    Process p({"/bin/sh", "-c", std::string(kPromtool) + " check metrics < '" + file + "'"});
    const auto rc = p.wait_exit(30s);
    REQUIRE(rc.has_value());
    std::string out = p.stdout_text();
    for (const auto& line : p.lines())
        out += line + "\n";
    return {*rc, out};
}

// A TCP port on 127.0.0.1 that was free a moment ago (Prometheus cannot be told to take port 0
// and say which it got).
std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0);
    const std::uint16_t port = local_port(fd);
    ::close(fd);
    return port;
}

// A real Prometheus server on loopback scraping 127.0.0.1:`target` every second.
class Prometheus {
  public:
    explicit Prometheus(std::uint16_t target) : port_(free_port()) {
        const std::string config = dir_.path() + "/prometheus.yml";
        std::ofstream(config) << "global:\n"
                                 "  scrape_interval: 1s\n"
                                 "  scrape_timeout: 1s\n"
                                 "  evaluation_interval: 1s\n"
                                 "scrape_configs:\n"
                                 "  - job_name: beat\n"
                                 "    static_configs:\n"
                                 "      - targets: ['127.0.0.1:"
                              << target << "']\n";
        proc_ = std::make_unique<Process>(std::vector<std::string>{
            kPrometheus, "--config.file=" + config, "--storage.tsdb.path=" + dir_.path() + "/data",
            "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--log.level=warn"});
        // Ready once its HTTP API answers /-/ready with 200 (it replays an empty WAL first).
        const auto deadline = Clock::now() + 30s;
        while (Clock::now() < deadline) {
            try {
                if (http_get(port_, "/-/ready", 2s).status == 200) return;
            } catch (const std::exception&) {
                // Not listening yet.
            }
            REQUIRE(!proc_->wait_exit(200ms).has_value());
        }
        FAIL("prometheus did not become ready within 30 s");
    }
    ~Prometheus() {
        proc_->signal(SIGTERM);
        proc_->wait_exit(10s);
    }

    // The result vector of the instant query `promql` through the HTTP API.
    nlohmann::json query(const std::string& promql) {
        std::string encoded;
        for (const unsigned char c : promql) {
            if (std::isalnum(c) || c == '_') {
                encoded += static_cast<char>(c);
            } else {
                encoded += fmt::format("%{:02X}", c);
            }
        }
        const HttpReply r = http_get(port_, "/api/v1/query?query=" + encoded);
        REQUIRE(r.status == 200);
        const auto doc = nlohmann::json::parse(r.body);
        REQUIRE(doc.at("status") == "success");
        return doc.at("data").at("result");
    }

    // Polls `promql` until its first sample's value is `want` or 30 s pass; returns the last
    // result seen.
    nlohmann::json wait_for_value(const std::string& promql, const std::string& want) {
        nlohmann::json result;
        const auto deadline = Clock::now() + 30s;
        while (Clock::now() < deadline) {
            result = query(promql);
            if (!result.empty() && result[0].at("value").at(1) == want) return result;
            REQUIRE(!proc_->wait_exit(250ms).has_value());
        }
        return result;
    }

    std::uint16_t port() const noexcept { return port_; }

  private:
    TempDir dir_;
    std::uint16_t port_;
    std::unique_ptr<Process> proc_;
};

// One datagram from `host` carrying `metrics`.
std::string datagram(const std::string& host, std::vector<Metric> metrics) {
    Heartbeat hb;
    hb.host = host;
    hb.incarnation = 1;
    hb.sequence = 1;
    hb.send_time_ms = 1'700'000'000'000;
    hb.interval_ms = 1000;
    hb.metrics = std::move(metrics);
    return pack_beat(hb).at(0);
}

// Polls /metrics until it holds `needle` (bounded); returns the page.
std::string wait_for_metrics(const Server& s, const std::string& needle) {
    std::string page;
    const auto deadline = Clock::now() + 10s;
    while (Clock::now() < deadline) {
        const HttpReply r = http_get(s.http_port, "/metrics");
        REQUIRE(r.status == 200);
        page = r.body;
        if (page.find(needle) != std::string::npos) return page;
        std::this_thread::sleep_for(50ms);
    }
    FAIL("/metrics never showed " << needle << "; last page:\n" << page);
    return page;
}

}  // namespace

TEST_CASE("promtool accepts the real /metrics page with agents beating and hostile names",
          "[http][prometheus]") {
    require_tool(kPromtool);
    Server s = start_server({"--timeout", "1"});
    REQUIRE(s.http_port != 0);
    auto agent = start_agent({"--server", loopback_endpoint(s.udp_port), "--interval", "0.2",
                              "--host", "promtool-agent"});
    // Host and metric names are user data: quotes, backslashes and non-ASCII must be escaped.
    send_udp(s.udp_port, datagram(R"(we"ird\host)", {{R"(m"x\y)", 1.5}, {"température", -3}}));
    const std::string page = wait_for_metrics(s, R"(host="we\"ird\\host")");
    wait_for_metrics(s, "beat_metric{host=\"promtool-agent\"");
    const std::string live = http_get(s.http_port, "/metrics").body;

    const auto [rc, out] = promtool_check(live);
    INFO("promtool said:\n" << out);
    CHECK(rc == 0);
    CHECK(out.empty());
    CHECK_THAT(live, Catch::Matchers::Contains(R"(name="m\"x\\y")"));
    CHECK_THAT(live, Catch::Matchers::Contains("beat_host_up{host=\"promtool-agent\"} 1"));
    std::cout << "promtool check metrics: exit " << rc << ", " << live.size() << " bytes, "
              << std::count(live.begin(), live.end(), '\n') << " lines\n";
}

TEST_CASE("a real Prometheus server scrapes beat and sees a killed agent's host go down",
          "[http][prometheus]") {
    require_tool(kPrometheus);
    Server s = start_server({"--timeout", "1"});
    REQUIRE(s.http_port != 0);
    const std::string udp = loopback_endpoint(s.udp_port);
    // One after the other: wait_for_line() does not look back at lines before its last match.
    auto doomed = start_agent({"--server", udp, "--interval", "0.2", "--host", "prom-doomed"});
    REQUIRE(s.proc->wait_for_line("host new host=prom-doomed"));
    auto steady = start_agent({"--server", udp, "--interval", "0.2", "--host", "prom-steady"});
    REQUIRE(s.proc->wait_for_line("host new host=prom-steady"));

    Prometheus prometheus(s.http_port);
    const std::string doomed_up = R"(beat_host_up{host="prom-doomed"})";
    auto up = prometheus.wait_for_value(doomed_up, "1");
    std::cout << "query " << doomed_up << " with the agent beating:\n" << up.dump() << "\n";
    REQUIRE(!up.empty());
    REQUIRE(up[0].at("value").at(1) == "1");
    CHECK(up[0].at("metric").at("job") == "beat");

    // The metrics Prometheus stored for the host, e.g. its CPU and memory.
    const auto metrics = prometheus.query(R"(beat_metric{host="prom-doomed"})");
    std::cout << "query beat_metric{host=\"prom-doomed\"}: " << metrics.size() << " series, e.g. "
              << (metrics.empty() ? std::string("none") : metrics[0].dump()) << "\n";
    CHECK(metrics.size() >= 5);

    doomed->signal(SIGKILL);
    REQUIRE(s.proc->wait_for_line("host silent host=prom-doomed", 10s));
    const auto down = prometheus.wait_for_value(doomed_up, "0");
    std::cout << "query " << doomed_up << " after the agent was killed:\n" << down.dump() << "\n";
    REQUIRE(!down.empty());
    CHECK(down[0].at("value").at(1) == "0");
    const auto other = prometheus.query(R"(beat_host_up{host="prom-steady"})");
    std::cout << "query beat_host_up{host=\"prom-steady\"}:\n" << other.dump() << "\n";
    REQUIRE(!other.empty());
    CHECK(other[0].at("value").at(1) == "1");

    const HttpReply targets = http_get(prometheus.port(), "/api/v1/targets?state=active");
    const auto active = nlohmann::json::parse(targets.body).at("data").at("activeTargets");
    REQUIRE(active.size() == 1);
    std::cout << "target " << active[0].at("scrapeUrl") << " health " << active[0].at("health")
              << " lastError \"" << active[0].at("lastError").get<std::string>() << "\"\n";
    CHECK(active[0].at("health") == "up");
}
