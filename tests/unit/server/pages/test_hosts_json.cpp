#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cmath>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "beat_server/core/pages/hosts_json.hpp"
#include "tests/unit/server/pages/body_reader.hpp"
#include "tests/unit/server/pages/status_fixture.hpp"

using namespace beat;
using namespace beat::test;
using nlohmann::json;

TEST_CASE("the hosts JSON lists silent hosts first then by name with the fleet's counts",
          "[hosts_json]") {
    StatusFixture f;
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
    StatusFixture f;
    const json j = json::parse(render_hosts_json(f.view(0)));
    CHECK(j.at("hosts").empty());
    CHECK(j.at("hosts_up") == 0);
    CHECK(j.at("hosts_silent") == 0);
}

TEST_CASE("a host's object carries its state, times, address, counters and latest metrics",
          "[hosts_json]") {
    StatusFixture f;
    f.beat("web1", 1, 0, {{"cpu", 10}, {"mem.used_pct", 40}});
    f.beat("web1", 4, 1000, {{"cpu", 12.5}, {"mem.used_pct", 41}});  // Beats 2 and 3 were lost.
    f.beat("web1", 4, 1100);                                         // A duplicate.

    const json h = json::parse(render_host_json(*f.monitor.registry().find("web1"), f.view(1750)));
    CHECK(h.at("name") == "web1");
    CHECK(h.at("state") == "up");
    CHECK(h.at("flapping") == false);
    CHECK(h.at("last_seen") == Approx((kUnixAtZero + 1000) / 1000.0));
    CHECK(h.at("last_seen_age_seconds") == Approx(0.75));
    CHECK(h.at("address") == "192.0.2.7:5000");
    CHECK(h.at("interval_seconds") == Approx(1.0));
    CHECK(h.at("beats") == 2);
    CHECK(h.at("lost") == 2);
    CHECK(h.at("loss_rate").get<double>() > 0.3);
    CHECK(h.at("loss_rate").get<double>() < 0.7);
    CHECK(h.at("restarts") == 0);
    CHECK(h.at("duplicates") == 1);
    CHECK(h.at("phi").is_null());  // The fixed detector has no phi.
    CHECK(h.at("judged_by") == "fixed");
    CHECK(h.at("metrics") == json{{"cpu", 12.5}, {"mem.used_pct", 41.0}});
    CHECK(h.at("protocol") == "beat");
}

TEST_CASE("a PyHeartBeat host says so, and its loss is unknown rather than none", "[hosts_json]") {
    StatusFixture f;
    f.monitor.on_datagram("PyHB", f.from, 0, kUnixAtZero);
    f.monitor.on_datagram("PyHB", f.from, 5000, kUnixAtZero + 5000);

    const json h =
        json::parse(render_host_json(*f.monitor.registry().find("192.0.2.7"), f.view(6000)));
    CHECK(h.at("protocol") == "pyheartbeat");
    CHECK(h.at("beats") == 2);
    CHECK(h.at("lost").is_null());
    CHECK(h.at("loss_rate").is_null());
    CHECK(h.at("interval_seconds") == Approx(5.0));
    CHECK(h.at("metrics").empty());
}

TEST_CASE("a host's next beat is expected one advertised interval after it was heard",
          "[hosts_json]") {
    StatusFixture f;
    f.interval_ms = 5000;
    f.beat("web1", 1, 2000);

    const json h = json::parse(render_host_json(*f.monitor.registry().find("web1"), f.view(3250)));
    CHECK(h.at("next_beat").get<double>() == 1'700'000'007.0);  // 2000 + 5000 ms after kUnixAtZero.
    CHECK(h.at("next_beat_in_seconds").get<double>() == 3.75);
}

TEST_CASE("a silent host's next beat lies in the past, so the time until it is negative",
          "[hosts_json]") {
    StatusFixture f;
    f.beat("db1", 1, 0);
    f.monitor.expire(3000);

    const json j = json::parse(render_hosts_json(f.view(12'500)));
    const json& h = j.at("hosts").at(0);
    CHECK(h.at("state") == "silent");
    CHECK(h.at("next_beat").get<double>() == 1'700'000'001.0);
    CHECK(h.at("next_beat_in_seconds").get<double>() == -11.5);
}

TEST_CASE("with the phi detector the next beat is expected one measured interval after the last",
          "[hosts_json]") {
    StatusFixture f(phi_detector());
    // Eleven intervals of 1.5 s, past the warm-up of ten: their mean outweighs the advertised 1 s.
    f.beats("db1", 12, 1500);

    const json h = json::parse(render_host_json(*f.monitor.registry().find("db1"), f.view(17'000)));
    CHECK(h.at("next_beat").get<double>() == 1'700'000'018.0);  // 16.5 s + 1.5 s.
    CHECK(h.at("next_beat_in_seconds").get<double>() == 1.0);
}

TEST_CASE("a host name with markup and quotes is escaped and parses back to itself",
          "[hosts_json]") {
    StatusFixture f;
    const std::string name = R"(<script>alert("x\'y")</script>)";
    f.beat(name, 1, 0, {{"a\"b", 1}});
    const std::string text = render_hosts_json(f.view(0));
    CHECK(text.find(R"(alert(\"x\\'y\"))") != std::string::npos);
    const json j = json::parse(text);
    CHECK(j.at("hosts").at(0).at("name") == name);
    CHECK(j.at("hosts").at(0).at("metrics").at("a\"b") == 1.0);
}

TEST_CASE("with the phi detector phi is a number, and grows as the silence does", "[hosts_json]") {
    StatusFixture f(phi_detector());
    f.beats("db1", 20, 1000);
    const HostRecord& h = *f.monitor.registry().find("db1");

    const json soon = json::parse(render_host_json(h, f.view(19'500)));
    REQUIRE(soon.at("phi").is_number());
    CHECK(soon.at("phi").get<double>() == Approx(*read_detector(h.liveness, 19'500).phi));
    CHECK(soon.at("phi").get<double>() < 1);
    // The loss prior keeps every missing beat's cost finite, so phi stays a number (JSON has no
    // infinity; a non-finite phi would be null).
    const json much_later = json::parse(render_host_json(h, f.view(10'000'000)));
    REQUIRE(much_later.at("phi").is_number());
    CHECK(much_later.at("phi").get<double>() > 100);
}

TEST_CASE("with the probe detector a host whose agent answers no probe is judged by phi",
          "[hosts_json]") {
    MonitorConfig config;
    config.detector.kind = DetectorKind::probe;
    StatusFixture f(config);
    f.beats("web1", 5, 1000);
    const json h = json::parse(render_host_json(*f.monitor.registry().find("web1"), f.view(4500)));
    CHECK(h.at("judged_by") == "phi");
    CHECK(h.at("phi").is_number());
}

TEST_CASE("hosts_silent_first returns only the first hosts when given a limit", "[hosts_json]") {
    StatusFixture f;
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
    StatusFixture f;
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

TEST_CASE("a host's object names its plan, the version it should run and the one it runs",
          "[hosts_json]") {
    StatusFixture f;
    f.beat("web1", 1, 0);
    const json none = json::parse(render_host_json(*f.monitor.registry().find("web1"), f.view(0)));
    CHECK(none.at("plan").is_null());
    CHECK(none.at("plan_wanted").is_null());
    CHECK(none.at("plan_running").is_null());

    f.monitor.set_plans(std::make_shared<const PlanBook>(PlanBook::parse(kExamplePlans, "p")));
    f.plan_version = 0x00c0ffee;
    f.beat("db-1", 1, 0);
    const json h = json::parse(render_host_json(*f.monitor.registry().find("db-1"), f.view(0)));
    CHECK(h.at("plan") == "db");
    CHECK(h.at("plan_wanted") == format_plan_version(f.monitor.plans()->find("db")->version));
    CHECK(h.at("plan_running") == "00c0ffee");
    // web1, not heard from since the plans were loaded, has the default plan already.
    const json web = json::parse(render_hosts_json(f.view(0))).at("hosts").at(1);
    CHECK(web.at("name") == "web1");
    CHECK(web.at("plan") == "default");
    CHECK(web.at("plan_running").is_null());
}

namespace {

// A host's object as the page wrote it when it built nlohmann::json objects: the reference the
// object written directly is held to.
json reference_object(const HostRecord& host, const StatusView& view) {
    const auto finite_or_null = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
    const DetectorReading reading = read_detector(host.liveness, view.now_ms);
    json h = json::object();
    h["name"] = host.name;
    h["state"] = to_string(host.liveness.state);
    h["flapping"] = host.liveness.flapping();
    h["last_seen"] = to_seconds(to_unix_ms(view, host.last_seen_ms));
    h["last_seen_age_seconds"] = to_seconds(view.now_ms - host.last_seen_ms);
    h["next_beat"] = to_seconds(to_unix_ms(view, reading.expected_ms));
    h["next_beat_in_seconds"] = to_seconds(reading.expected_ms - view.now_ms);
    h["address"] = host.address.to_string();
    h["protocol"] = host.legacy ? "pyheartbeat" : "beat";
    h["interval_seconds"] = to_seconds(host.interval_ms);
    h["beats"] = host.beats;
    h["lost"] = host.legacy ? json(nullptr) : json(host.lost);
    h["loss_rate"] = host.legacy ? json(nullptr) : finite_or_null(reading.loss);
    h["restarts"] = host.restarts;
    h["duplicates"] = host.duplicates;
    h["judged_by"] = to_string(reading.judged_by);
    h["phi"] = reading.phi ? finite_or_null(*reading.phi) : json(nullptr);
    const HostPlanView plan = view.monitor.plan_of(host);
    h["plan"] = plan.plan != nullptr ? json(plan.plan->plan.name) : json(nullptr);
    h["plan_wanted"] = plan.wanted != 0 ? json(format_plan_version(plan.wanted)) : json(nullptr);
    h["plan_running"] = plan.running != 0 ? json(format_plan_version(plan.running)) : json(nullptr);
    json& metrics = h["metrics"] = json::object();
    for (const HostMetric& m : host.metrics)
        metrics[m.name] = finite_or_null(m.value);
    return h;
}

std::string dumped(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Restores a host named `name` as after a restart, heard at monitor time 0.
void restore(StatusFixture& f, const std::string& name) {
    HostSnapshot h;
    h.name = name;
    h.interval_ms = 1000;
    h.beats = 3;
    h.last_seen_unix_ms = kUnixAtZero;
    f.monitor.restore(h, 0, kUnixAtZero);
}

}  // namespace

TEST_CASE("a host's object is the one the json objects gave, byte for byte, for hostile names",
          "[hosts_json]") {
    StatusFixture f(phi_detector());
    const std::vector<std::string> names = {"plain",
                                            "quote\"d",
                                            "back\\slash",
                                            "<b>&amp;'",
                                            "tab\there",
                                            "cr\rlf\n",
                                            "bell\x07",
                                            "del\x7f",
                                            "caf\xc3\xa9 \xe2\x82\xac",
                                            "nul\0in" + std::string(1, '\0')};
    for (const std::string& name : names)
        restore(f, name);
    f.beats("metrics", 3, 1000);
    f.beat("metrics", 4, 3000, {{"cpu", 12.5}, {"z.last", 1e21}, {"a.first", -0.0}, {"nan", 0.1}});
    f.monitor.expire(3500);
    const StatusView view = f.view(3600);
    for (const std::string& name : names) {
        CAPTURE(name);
        const HostRecord* host = f.monitor.registry().find(name);
        REQUIRE(host != nullptr);
        CHECK(render_host_json(*host, view) == dumped(reference_object(*host, view)));
    }
    const HostRecord& metrics = *f.monitor.registry().find("metrics");
    CHECK(render_host_json(metrics, view) == dumped(reference_object(metrics, view)));
    CHECK(json::parse(render_host_json(metrics, view)).at("metrics").size() == 4);
}

TEST_CASE("a host name that is not UTF-8 still gives valid JSON, its bytes replaced",
          "[hosts_json]") {
    StatusFixture f;
    const std::string name = "bad\xff\xc3\xa9name";
    restore(f, name);
    const StatusView view = f.view(100);
    const HostRecord& host = *f.monitor.registry().find(name);
    const json mine = json::parse(render_host_json(host, view));  // Strict: throws on bad UTF-8.
    const json theirs = json::parse(dumped(reference_object(host, view)));
    CHECK(mine.at("name") == "bad\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDname");
    // Everything but the name's replacement characters is as the json objects gave it.
    json rest = mine;
    rest.erase("name");
    json theirs_rest = theirs;
    theirs_rest.erase("name");
    CHECK(rest == theirs_rest);
}

TEST_CASE("the streamed hosts page of an unchanged fleet is the whole page byte for byte",
          "[hosts_json]") {
    StatusFixture f(phi_detector());
    // More hosts than one sorted run of the page's order; one in 7 goes silent.
    for (int i = 0; i < 2500; ++i) {
        const std::string name = fmt::format("host-{:04}{}", i * 7919 % 2500, i % 400 ? "" : "\"q");
        f.beat(name, 1, 0, {{"cpu", i * 0.25}, {"mem", 40.5}});
        if (i % 7 != 0) f.beat(name, 2, 2500, {{"cpu", i * 0.5}});
    }
    f.monitor.expire(3500);
    const StatusView view = f.view(3600);
    const std::string whole = render_hosts_json(view) + "\n";
    CHECK(json::parse(whole).at("hosts").size() == 2500);
    for (const std::size_t budget :
         {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{1} << 16,
          std::numeric_limits<std::size_t>::max()}) {
        CAPTURE(budget);
        CHECK(read_body(*stream_hosts_json(view), budget) == whole);
    }
    // Each slice holds about its budget: whole objects, so a little more.
    for (const std::string& slice : read_slices(*stream_hosts_json(view), 4096, [](std::size_t) {}))
        CHECK(slice.size() <= 4096 + 1024);
}

TEST_CASE("a host forgotten while the hosts page is written is not listed after, nor one added",
          "[hosts_json]") {
    MonitorConfig config;
    config.forget_after_ms = 1000;
    StatusFixture f(config);
    for (int i = 0; i < 10; ++i)
        f.beat(fmt::format("h{}", i), 1, 0);
    for (int i = 0; i < 10; ++i)
        if (i != 3 && i != 7) f.beat(fmt::format("h{}", i), 2, 2500);
    f.monitor.expire(3500);  // h3 and h7 go silent: they are listed first.
    const StatusView view = f.view(3600);
    auto stream = stream_hosts_json(view);
    std::string page;
    std::size_t removed_at = 0;
    while (!stream->write(page, 1)) {
        // Once h3 is listed, before h7: both are forgotten, and two hosts are new.
        if (removed_at == 0 && page.find("\"name\":\"h3\"") != std::string::npos) {
            f.beat("new1", 1, 4100);
            f.beat("new2", 1, 4100);
            f.monitor.report(4100);
            REQUIRE(f.monitor.registry().find("h7") == nullptr);
            removed_at = page.size();
        }
    }
    REQUIRE(removed_at > 0);
    const json j = json::parse(page);
    std::vector<std::string> names;
    for (const json& h : j.at("hosts"))
        names.push_back(h.at("name"));
    CHECK(names == std::vector<std::string>{"h3", "h0", "h1", "h2", "h4", "h5", "h6", "h8", "h9"});
    CHECK(j.at("hosts_silent") == 2);  // As when the page began.
    CHECK(j.at("hosts_up") == 8);
}
