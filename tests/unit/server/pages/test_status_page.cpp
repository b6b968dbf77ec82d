#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "beat_server/core/pages/status_page.hpp"
#include "tests/occurrences.hpp"
#include "tests/unit/server/pages/status_fixture.hpp"

using namespace beat;
using namespace beat::test;

namespace {

// The status page rendered from the fixture's view.
struct Servers : StatusFixture {
    std::string page(std::int64_t now_ms) const { return render_status_page(view(now_ms)); }
};

// The text between the first occurrence of `from` and the next occurrence of `to` after it.
std::string between(const std::string& text, const std::string& from, const std::string& to) {
    const std::size_t b = text.find(from);
    if (b == std::string::npos) return {};
    const std::size_t e = text.find(to, b + from.size());
    return text.substr(b + from.size(), e == std::string::npos ? e : e - b - from.size());
}

}  // namespace

TEST_CASE("the page is a self-contained HTML document that reloads itself", "[status_page]") {
    Servers s;
    s.beat("web1", 1, 0);
    const std::string page = s.page(0);
    CHECK(page.starts_with("<!DOCTYPE html>"));
    CHECK(page.find(R"(<meta http-equiv="refresh" content="5">)") != std::string::npos);
    CHECK(page.find("<script") == std::string::npos);
    CHECK(page.find("src=") == std::string::npos);
    CHECK(page.find("<link") == std::string::npos);
    CHECK(page.find("http://") == std::string::npos);
    CHECK(page.find("https://") == std::string::npos);
    CHECK(page.ends_with("</html>\n"));
}

TEST_CASE("the page sums up the fleet and says when and by which version it was generated",
          "[status_page]") {
    Servers s;
    s.beat("a", 1, 0);
    s.beat("b", 1, 0);
    s.beat("c", 1, 0);
    s.beat("a", 2, 2000);
    s.beat("b", 2, 2000);
    s.monitor.expire(3000);
    const std::string page = s.page(3000);
    CHECK(page.find(
              R"(3 hosts: <span class="up">2 up</span>, <span class="silent">1 silent</span>)") !=
          std::string::npos);
    CHECK(page.find("Generated 2023-11-14 22:13:23 UTC by beat 9.8.7") != std::string::npos);
}

TEST_CASE("silent hosts come first and highlighted, then the others by name", "[status_page]") {
    Servers s;
    s.beat("mango", 1, 0);
    s.beat("zebra", 1, 0);
    s.beat("apple", 1, 0);
    s.beat("apple", 2, 2500);
    s.beat("zebra", 2, 2500);
    s.monitor.expire(3000);
    const std::string page = s.page(250'000);
    const std::size_t mango = page.find(">mango<");
    const std::size_t apple = page.find(">apple<");
    const std::size_t zebra = page.find(">zebra<");
    REQUIRE(mango != std::string::npos);
    CHECK(mango < apple);
    CHECK(apple < zebra);
    const std::string mango_row = between(page, "<tr class=\"silent\">", "</tr>");
    CHECK(mango_row.find(">mango<") != std::string::npos);
    CHECK(mango_row.find(R"(<span class="state silent">silent</span>)") != std::string::npos);
    CHECK(mango_row.find("4m 10s ago") != std::string::npos);
    CHECK(between(page, ">apple<", "</tr>").find("state up") != std::string::npos);
}

TEST_CASE("a row shows the address, interval, loss and key metrics with a dash for missing ones",
          "[status_page]") {
    Servers s;
    s.beat("db1", 1, 0, {{"cpu", 23.74}, {"mem.used_pct", 41.25}, {"load.1", 0.5}});
    s.beat("db1", 5, 1000, {{"cpu", 23.74}, {"mem.used_pct", 41.25}, {"load.1", 0.5}});
    const std::string row = between(s.page(1000), ">db1<", "</tr>");
    CHECK(row.find(">0s ago<") != std::string::npos);
    CHECK(row.find(">192.0.2.7:5000<") != std::string::npos);
    CHECK(row.find(">1s<") != std::string::npos);
    CHECK(row.find(">75.0%<") != std::string::npos);  // 3 of the 4 beats since the first lost.
    CHECK(row.find(">23.7%<") != std::string::npos);
    CHECK(row.find(">41.2%<") != std::string::npos);
    CHECK(row.find(">0.50<") != std::string::npos);
    CHECK(row.find(">-<") != std::string::npos);  // No disk figure.
}

TEST_CASE("a PyHeartBeat host's loss is a dash: its beats are not numbered", "[status_page]") {
    Servers s;
    s.monitor.on_datagram("PyHB", s.from, 0, kUnixAtZero);
    s.monitor.on_datagram("PyHB", s.from, 5000, kUnixAtZero + 5000);
    const std::string row = between(s.page(5000), ">192.0.2.7<", "</tr>");
    CHECK(row.find(">5s<") != std::string::npos);
    CHECK(row.find("%<") == std::string::npos);
    CHECK(row.find("<td class=\"num\">-</td>") != std::string::npos);
}

TEST_CASE("a row says when the host's next beat is expected or how long it is overdue",
          "[status_page]") {
    Servers s;
    s.beat("late", 1, 0);  // Expected at 1 s, silent at 3 s.
    s.monitor.expire(3000);
    s.interval_ms = 20'000;
    s.beat("soon", 1, 10'000);  // Expected at 30 s.
    const std::string page = s.page(13'000);
    CHECK(page.find(R"(<th class="num">Last seen</th><th class="num">Next beat</th>)") !=
          std::string::npos);
    CHECK(between(page, ">late<", "</tr>").find(">overdue 12s<") != std::string::npos);
    CHECK(between(page, ">soon<", "</tr>").find(">in 17s<") != std::string::npos);
}

TEST_CASE("the phi column appears only with the phi and probe detectors", "[status_page]") {
    // Each row has as many cells as the header has columns.
    const auto check_cells = [](const std::string& page, const std::string& host) {
        const std::string head = between(page, "<thead>", "</thead>");
        const std::string row = between(page, ">" + host + "<", "</tr>");
        CHECK(occurrences(row, "<td") + 1 ==
              occurrences(head, "<th"));  // The name's cell comes before `row`.
    };
    Servers fixed;
    fixed.beat("web1", 1, 0);
    const std::string without = fixed.page(500);
    CHECK(without.find(">Phi<") == std::string::npos);
    check_cells(without, "web1");

    StatusFixture phi(phi_detector());
    phi.beats("db1", 20, 1000);
    const std::int64_t now = 21'500;  // 2.5 s after the last beat.
    const std::string page = render_status_page(phi.view(now));
    CHECK(page.find(R"(<th class="num">Loss</th><th class="num">Phi</th>)") != std::string::npos);
    check_cells(page, "db1");
    const double value = *read_detector(phi.monitor.registry().find("db1")->liveness, now).phi;
    REQUIRE(value >= 0.1);  // Not to be mistaken for a cell of 0.0.
    CHECK(between(page, ">db1<", "</tr>")
              .find(fmt::format(R"(%</td><td class="num">{:.1f}</td>)", value)) !=
          std::string::npos);
}

TEST_CASE("with the probe detector each row says how its host is judged", "[status_page]") {
    Servers fixed;
    fixed.beat("web1", 1, 0);
    CHECK(fixed.page(500).find(">Judged by<") == std::string::npos);

    MonitorConfig config;
    config.detector.kind = DetectorKind::probe;
    StatusFixture probe(config);
    probe.beats("db1", 5, 1000);
    const std::int64_t now = 4'500;
    const std::string page = render_status_page(probe.view(now));
    CHECK(page.find(R"(<th class="num">Loss</th><th>Judged by</th><th class="num">Phi</th>)") !=
          std::string::npos);
    const std::string row = between(page, ">db1<", "</tr>");
    CHECK(occurrences(row, "<td") + 1 == occurrences(between(page, "<thead>", "</thead>"), "<th"));
    // Without a way to send probes the probe detector judges every host by phi.
    const JudgedBy judged =
        read_detector(probe.monitor.registry().find("db1")->liveness, now).judged_by;
    CHECK(judged == JudgedBy::phi);
    CHECK(row.find(fmt::format(R"(%</td><td>{}</td>)", to_string(judged))) != std::string::npos);
}

TEST_CASE("host and metric text from agents is HTML-escaped", "[status_page]") {
    Servers s;
    s.beat(R"(<script>alert("x'y")</script>&)", 1, 0);
    const std::string page = s.page(0);
    CHECK(page.find("<script>") == std::string::npos);
    CHECK(page.find("&lt;script&gt;alert(&quot;x&#39;y&quot;)&lt;/script&gt;&amp;") !=
          std::string::npos);
}

TEST_CASE("an empty fleet says that no host has sent a beat", "[status_page]") {
    Servers s;
    const std::string page = s.page(0);
    CHECK(page.find("0 hosts: ") != std::string::npos);
    CHECK(page.find("No host has sent a beat yet.") != std::string::npos);
    CHECK(page.find("<table>") == std::string::npos);
}

TEST_CASE("a large fleet lists the first rows and says how many more there are", "[status_page]") {
    Servers s;
    const std::size_t hosts = kStatusPageMaxRows + 25;
    for (std::size_t i = 0; i < hosts; ++i)
        s.beat("host-" + std::to_string(100'000 + i), 1, 0);
    const std::string page = s.page(0);
    CHECK(occurrences(page, "<tr><td") == kStatusPageMaxRows);
    CHECK(page.find("25 more hosts are not listed here") != std::string::npos);
    CHECK(page.size() < 400 * kStatusPageMaxRows);
}

TEST_CASE("ages read in whole units as people say them", "[status_page]") {
    CHECK(human_age(-5) == "0s");
    CHECK(human_age(999) == "0s");
    CHECK(human_age(3'000) == "3s");
    CHECK(human_age(59'999) == "59s");
    CHECK(human_age(60'000) == "1m");
    CHECK(human_age(250'000) == "4m 10s");
    CHECK(human_age(7'200'000) == "2h");
    CHECK(human_age(7'500'000) == "2h 5m");
    CHECK(human_age(86'400'000) == "1d");
    CHECK(human_age(3 * 86'400'000 + 4 * 3'600'000 + 59'000) == "3d 4h");
}

TEST_CASE("html_escape replaces the five characters that matter in HTML", "[status_page]") {
    CHECK(html_escape(R"(a&b<c>d"e'f)") == "a&amp;b&lt;c&gt;d&quot;e&#39;f");
    CHECK(html_escape("plain \xc3\xa9t\xc3\xa9") == "plain \xc3\xa9t\xc3\xa9");
    CHECK(html_escape("").empty());
}

TEST_CASE("a host that is up but flapping is labelled flapping", "[status_page]") {
    Servers s;
    // Three silences within 20 timeouts make the host flap (flap_damper.hpp).
    for (std::uint64_t i = 0; i < 4; ++i) {
        s.beat("shaky", i + 1, static_cast<std::int64_t>(i) * 4000);
        if (i < 3) s.monitor.expire(static_cast<std::int64_t>(i) * 4000 + 3000);
    }
    REQUIRE(s.monitor.registry().find("shaky")->liveness.flapping());
    const std::string row = between(s.page(12'000), ">shaky<", "</tr>");
    CHECK(row.find(R"(<span class="state flapping">flapping</span>)") != std::string::npos);
}

TEST_CASE("with a plans file each row names its host's plan, pending until its agent runs it",
          "[status_page]") {
    Servers s;
    s.beat("web1", 1, 0);
    CHECK(s.page(0).find("<th>Plan</th>") == std::string::npos);

    s.monitor.set_plans(std::make_shared<const PlanBook>(
        PlanBook::parse("[plans.db]\nhosts = [\"db-*\"]\ninterval = 2\n", "p")));
    s.plan_version = s.monitor.plans()->find("db")->version;
    s.beat("db-1", 1, 0);
    s.plan_version = 0;
    s.beat("db-2", 1, 0);
    const std::string page = s.page(0);
    CHECK(page.find("<th>Plan</th>") != std::string::npos);
    CHECK(between(page, ">db-1<", "</tr>").find("<td>db</td>") != std::string::npos);
    CHECK(between(page, ">db-2<", "</tr>").find("<td>db (pending)</td>") != std::string::npos);
    CHECK(between(page, ">web1<", "</tr>").find("<td>-</td>") != std::string::npos);
    const std::string row = between(page, ">db-1<", "</tr>");
    CHECK(occurrences(row, "<td") + 1 == occurrences(between(page, "<thead>", "</thead>"), "<th"));
}

TEST_CASE("host names link to their pages, percent-encoded", "[status_page]") {
    Servers s;
    s.beat("rack/7<a>", 1, 0);
    const std::string page = s.page(0);
    CHECK(page.find(R"(<a href="/host/rack%2F7%3Ca%3E">rack/7&lt;a&gt;</a>)") != std::string::npos);
}

TEST_CASE("the first rows get sparklines of their CPU and memory, later rows none",
          "[status_page]") {
    Servers s;
    for (std::size_t h = 0; h < kStatusPageSparklineRows + 5; ++h) {
        const std::string name = fmt::format("h{:04}", h);
        for (std::uint64_t seq = 1; seq <= 3; ++seq)
            s.beat(name, seq, static_cast<std::int64_t>(seq) * 1000,
                   {{"cpu", static_cast<double>(seq)}, {"mem.used_pct", 50}, {"load.1", 1}});
    }
    const std::string page = s.page(4000);
    CHECK(occurrences(page, "<svg class=\"spark\"") == 2 * kStatusPageSparklineRows);
    const std::string first = between(page, ">h0000</a>", "</tr>");
    CHECK(occurrences(first, "<svg class=\"spark\"") == 2);
    CHECK(occurrences(between(page, fmt::format(">h{:04}</a>", kStatusPageSparklineRows), "</tr>"),
                      "<svg class=\"spark\"") == 0);
}

TEST_CASE("the fleet strip draws a bar for each sample of the last day", "[status_page]") {
    Servers s;
    s.beat("web1", 1, 0);
    FleetHistory fleet;
    // Two days of samples: only the last day's are drawn.
    for (std::int64_t i = 0; i < 2 * 288; ++i)
        fleet.push({kUnixAtZero - (575 - i) * kFleetSampleIntervalMs, 3, i % 2 == 0 ? 1u : 0u});
    StatusView v = s.view(0);
    CHECK(render_status_page(v).find("class=\"fleet\"") == std::string::npos);
    v.fleet = &fleet;
    const std::string page = render_status_page(v);
    const std::string up = between(page, "<path class=\"up\" stroke-width=\"2\" d=\"", "\"");
    const std::string silent =
        between(page, "<path class=\"silent\" stroke-width=\"2\" d=\"", "\"");
    CHECK(occurrences(up, "M") == 288);
    CHECK(occurrences(silent, "M") == 144);
}
