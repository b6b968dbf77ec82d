#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "beat_server/core/pages/host_page.hpp"
#include "tests/occurrences.hpp"
#include "tests/unit/server/pages/status_fixture.hpp"

using namespace beat;
using namespace beat::test;

namespace {

// A host "web1" beating every second with cpu and mem.used_pct for a minute, silent for two
// minutes (declared so at 63 s, its 3 s timeout after the last beat), then back at 180 s.
struct HostPages : StatusFixture {
    HostPages() {
        std::uint64_t seq = 1;
        for (std::int64_t t = 0; t <= 60'000; t += 1000)
            beat("web1", seq++, t, {{"cpu", static_cast<double>(t / 1000)}, {"mem.used_pct", 40}});
        monitor.expire(63'000);
        beat("web1", seq++, 180'000, {{"cpu", 5}, {"mem.used_pct", 41}});
    }
    std::string page(std::int64_t now_ms, std::int64_t range_s = kDefaultChartRangeS) const {
        return render_host_page(*monitor.registry().find("web1"), view(now_ms), range_s);
    }
};

}  // namespace

TEST_CASE("the host page has one chart per metric with a path", "[host_page]") {
    const HostPages s;
    const std::string page = s.page(200'000);
    CHECK(page.starts_with("<!DOCTYPE html>"));
    CHECK(occurrences(page, "<svg class=\"chart\"") == 2);
    CHECK(occurrences(page, "<path class=\"line\" d=\"M") == 2);
    CHECK(page.find("<figcaption>cpu</figcaption>") < page.find("<figcaption>mem.used_pct<"));
    CHECK(page.find("src=") == std::string::npos);
}

TEST_CASE("the host page shades the silence on every chart", "[host_page]") {
    const HostPages s;
    const std::vector<ShadedSpan> spans =
        silent_spans(s.monitor.registry().find("web1")->transitions, s.view(200'000));
    REQUIRE(spans.size() == 1);
    CHECK(spans[0].from_s == kUnixAtZero / 1000 + 60);
    CHECK(spans[0].to_s == kUnixAtZero / 1000 + 180);
    CHECK(occurrences(s.page(200'000), "<rect class=\"silent\"") == 2);
}

TEST_CASE("a host still silent is shaded up to now", "[host_page]") {
    HostPages s;
    s.monitor.expire(183'000);
    const std::vector<ShadedSpan> spans =
        silent_spans(s.monitor.registry().find("web1")->transitions, s.view(300'000));
    REQUIRE(spans.size() == 2);
    CHECK(spans[1].from_s == kUnixAtZero / 1000 + 180);
    CHECK(spans[1].to_s == kUnixAtZero / 1000 + 300);
}

TEST_CASE("the host page lists the transitions newest first", "[host_page]") {
    const HostPages s;
    const std::string page = s.page(200'000);
    const std::size_t back = page.find("<td>back</td>");
    const std::size_t silent = page.find("<td>silent</td>");
    const std::size_t first = page.find("<td>new</td>");
    REQUIRE(back != std::string::npos);
    CHECK(back < silent);
    CHECK(silent < first);
    CHECK(page.find("3s before") != std::string::npos);  // Declared silent 3 s after last heard.
}

TEST_CASE("the host page's size does not grow with the range's points", "[host_page]") {
    StatusFixture s;
    std::uint64_t seq = 1;
    for (std::int64_t t = 0; t <= 7 * 86'400'000LL; t += 60'000, ++seq)
        s.beat("web1", seq, t, {{"cpu", static_cast<double>(seq % 97)}});
    const HostRecord& h = *s.monitor.registry().find("web1");
    const std::string week = render_host_page(h, s.view(7 * 86'400'000LL), 7 * 86'400);
    // 10,081 points, at most 720 columns of two coordinates each.
    CHECK(week.size() < 64 * 1024);
    CHECK(occurrences(week, " L") <= 2 * 720);
}

TEST_CASE("everything on the host page that an agent sent is escaped", "[host_page]") {
    StatusFixture s;
    s.beat("a<b\"&c", 1, 0, {{"m<x\"&y", 1}});
    const std::string page =
        render_host_page(*s.monitor.registry().find("a<b\"&c"), s.view(1000), 3600);
    CHECK(page.find("a<b") == std::string::npos);
    CHECK(page.find("m<x") == std::string::npos);
    CHECK(page.find("a&lt;b&quot;&amp;c") != std::string::npos);
    CHECK(page.find("<figcaption>m&lt;x&quot;&amp;y</figcaption>") != std::string::npos);
    CHECK(page.find("href=\"/host/a%3Cb%22%26c?range=6h\"") != std::string::npos);
}

TEST_CASE("the range comes from the query string and nothing else is accepted", "[host_page]") {
    CHECK(parse_chart_range("") == 3600);
    CHECK(parse_chart_range("range=1h") == 3600);
    CHECK(parse_chart_range("range=6h") == 6 * 3600);
    CHECK(parse_chart_range("range=24h") == 86'400);
    CHECK(parse_chart_range("range=7d") == 7 * 86'400);
    CHECK_FALSE(parse_chart_range("range=1d"));
    CHECK_FALSE(parse_chart_range("range=1h&x=1"));
    CHECK_FALSE(parse_chart_range("x=1"));
}

TEST_CASE("a host's page path percent-encodes all but unreserved bytes", "[host_page]") {
    CHECK(host_page_path("web-1.example_a~b") == "/host/web-1.example_a~b");
    CHECK(host_page_path("rack/7 <x>") == "/host/rack%2F7%20%3Cx%3E");
    CHECK(host_page_path("caf\xc3\xa9") == "/host/caf%C3%A9");
}
