#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "beat_server/core/hosts_json.hpp"
#include "beat_server/core/log_reporter.hpp"

using namespace beat;
using nlohmann::json;

namespace {

constexpr std::int64_t kUnixAtZero = 1'700'000'000'000;  // Unix ms when the monitor's clock is 0.

// A monitor fed real datagrams from 10.0.0.1:4000, one beat a second advertised.
struct Fleet {
    explicit Fleet(const MonitorConfig& config = {}) : monitor(config, store, events) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(4000);
        inet_pton(AF_INET, "10.0.0.1", &a.sin_addr);
        from = SourceAddress(reinterpret_cast<const sockaddr*>(&a));
    }
    void beat(const std::string& host, std::uint64_t seq, std::int64_t now_ms,
              std::vector<Metric> metrics = {}) {
        Heartbeat hb;
        hb.host = host;
        hb.incarnation = 1;
        hb.sequence = seq;
        hb.send_time_ms = kUnixAtZero + now_ms;
        hb.interval_ms = 1000;
        hb.metrics = std::move(metrics);
        monitor.on_datagram(pack_beat(hb).at(0), from, now_ms, kUnixAtZero + now_ms);
    }
    StatusView view(std::int64_t now_ms) const {
        StatusView v(monitor, store, protocol);
        v.now_ms = now_ms;
        v.now_unix_ms = kUnixAtZero + now_ms;
        return v;
    }

    Store store;
    LogReporter events;
    ProtocolStats protocol;
    Monitor monitor;
    SourceAddress from;
};

}  // namespace

TEST_CASE("the hosts JSON lists silent hosts first then by name with the fleet's counts",
          "[hosts_json]") {
    Fleet f;
    f.beat("b-up", 1, 0);
    f.beat("z-gone", 1, 0);
    f.beat("a-up", 1, 0);
    f.beat("c-gone", 1, 0);
    f.beat("a-up", 2, 2500);
    f.beat("b-up", 2, 2500);
    f.monitor.expire(3500);

    const json j = json::parse(render_hosts_json(f.view(3500)));
    CHECK(j.at("generated_at") == Approx((kUnixAtZero + 3500) / 1000.0));
    CHECK(j.at("hosts_up") == 2);
    CHECK(j.at("hosts_silent") == 2);
    std::vector<std::string> order;
    for (const json& h : j.at("hosts"))
        order.push_back(h.at("name").get<std::string>() + " " + h.at("state").get<std::string>());
    CHECK(order ==
          std::vector<std::string>{"c-gone silent", "z-gone silent", "a-up up", "b-up up"});
}

TEST_CASE("an empty fleet gives an empty host list", "[hosts_json]") {
    Fleet f;
    const json j = json::parse(render_hosts_json(f.view(0)));
    CHECK(j.at("hosts").empty());
    CHECK(j.at("hosts_up") == 0);
    CHECK(j.at("hosts_silent") == 0);
}

TEST_CASE("a host's object carries its state, times, address, counters and latest metrics",
          "[hosts_json]") {
    Fleet f;
    f.beat("web1", 1, 0, {{"cpu", 10}, {"mem.used_pct", 40}});
    f.beat("web1", 4, 1000, {{"cpu", 12.5}, {"mem.used_pct", 41}});  // Beats 2 and 3 were lost.
    f.beat("web1", 4, 1100);                                         // A duplicate.

    const json h = json::parse(render_host_json(*f.monitor.registry().find("web1"), f.view(1750)));
    CHECK(h.at("name") == "web1");
    CHECK(h.at("state") == "up");
    CHECK(h.at("flapping") == false);
    CHECK(h.at("last_seen") == Approx((kUnixAtZero + 1000) / 1000.0));
    CHECK(h.at("last_seen_age_seconds") == Approx(0.75));
    CHECK(h.at("address") == "10.0.0.1:4000");
    CHECK(h.at("interval_seconds") == Approx(1.0));
    CHECK(h.at("beats") == 2);
    CHECK(h.at("lost") == 2);
    CHECK(h.at("loss_rate").get<double>() > 0.3);
    CHECK(h.at("loss_rate").get<double>() < 0.7);
    CHECK(h.at("restarts") == 0);
    CHECK(h.at("duplicates") == 1);
    CHECK(h.at("phi").is_null());  // The fixed detector has no phi.
    CHECK(h.at("metrics") == json{{"cpu", 12.5}, {"mem.used_pct", 41.0}});
}

TEST_CASE("a host name with markup and quotes is escaped and parses back to itself",
          "[hosts_json]") {
    Fleet f;
    const std::string name = R"(<script>alert("x\'y")</script>)";
    f.beat(name, 1, 0, {{"a\"b", 1}});
    const std::string text = render_hosts_json(f.view(0));
    CHECK(text.find(R"(alert(\"x\\'y\"))") != std::string::npos);
    const json j = json::parse(text);
    CHECK(j.at("hosts").at(0).at("name") == name);
    CHECK(j.at("hosts").at(0).at("metrics").at("a\"b") == 1.0);
}

TEST_CASE("with the phi detector phi is a number while finite and null once infinite",
          "[hosts_json]") {
    MonitorConfig config;
    config.detector.kind = DetectorKind::phi;
    Fleet f(config);
    for (std::uint64_t i = 0; i < 20; ++i)
        f.beat("db1", i + 1, static_cast<std::int64_t>(i) * 1000);
    const HostRecord& h = *f.monitor.registry().find("db1");

    const json soon = json::parse(render_host_json(h, f.view(19'500)));
    REQUIRE(soon.at("phi").is_number());
    CHECK(std::isfinite(soon.at("phi").get<double>()));
    REQUIRE(!std::isfinite(*read_detector(h.liveness, 10'000'000).phi));
    const json much_later = json::parse(render_host_json(h, f.view(10'000'000)));
    CHECK(much_later.at("phi").is_null());
}

TEST_CASE("hosts_silent_first returns only the first hosts when given a limit", "[hosts_json]") {
    Fleet f;
    for (const char* name : {"d", "c", "b", "a", "e"})
        f.beat(name, 1, 0);
    f.beat("a", 2, 2000);
    f.beat("b", 2, 2000);
    f.beat("c", 2, 2000);
    f.monitor.expire(3000);  // d and e fall silent.
    std::vector<std::string_view> names;
    for (const HostRecord* h : hosts_silent_first(f.monitor.registry(), 3))
        names.push_back(h->name);
    CHECK(names == std::vector<std::string_view>{"d", "e", "a"});
    CHECK(hosts_silent_first(f.monitor.registry()).size() == 5);
}

TEST_CASE("host states read up silent and unknown", "[hosts_json]") {
    CHECK(to_string(HostState::up) == "up");
    CHECK(to_string(HostState::silent) == "silent");
    CHECK(to_string(HostState::unknown) == "unknown");
}

TEST_CASE("a host that keeps going silent and coming back is flagged flapping", "[hosts_json]") {
    Fleet f;
    // Three silences within 20 timeouts make the host flap (flap_damper.hpp).
    for (std::uint64_t i = 0; i < 4; ++i) {
        f.beat("shaky", i + 1, static_cast<std::int64_t>(i) * 4000);
        if (i < 3) f.monitor.expire(static_cast<std::int64_t>(i) * 4000 + 3000);
    }
    const json h =
        json::parse(render_host_json(*f.monitor.registry().find("shaky"), f.view(12'000)));
    CHECK(h.at("state") == "up");
    CHECK(h.at("flapping") == true);
}
