#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "beat_server/core/pages/svg_chart.hpp"
#include "tests/occurrences.hpp"

using namespace beat;
using beat::test::occurrences;

namespace {

// 100 seconds over 10 pixels: 10 seconds a column, 100 pixels high.
ChartFrame small_frame() {
    ChartFrame f;
    f.from_s = 1000;
    f.to_s = 1100;
    f.width = 10;
    f.height = 100;
    f.gap_s = 15;
    return f;
}

std::vector<ChartColumn> columns_of(const std::vector<Point>& points, const ChartFrame& frame) {
    ColumnDownsampler d(frame);
    for (const Point& p : points)
        d.add(p);
    return d.columns();
}

}  // namespace

TEST_CASE("downsampling keeps each column's minimum and maximum", "[svg_chart]") {
    const ChartFrame frame = small_frame();
    // Column 2 (1020..1029) holds a one-second spike between two ordinary values.
    const std::vector<ChartColumn> c =
        columns_of({{1000, 5}, {1005, 7}, {1020, 3}, {1021, 99}, {1022, 4}}, frame);
    REQUIRE(c.size() == 2);
    CHECK(c[0].x == 0);
    CHECK(c[0].min == 5);
    CHECK(c[0].max == 7);
    CHECK(c[0].first_s == 1000);
    CHECK(c[0].last_s == 1005);
    CHECK(c[1].x == 2);
    CHECK(c[1].min == 3);
    CHECK(c[1].max == 99);
}

TEST_CASE("downsampling to a width keeps one column per pixel however many points", "[svg_chart]") {
    ChartFrame frame = small_frame();
    frame.to_s = frame.from_s + 7 * 86'400;
    frame.width = 720;
    ColumnDownsampler d(frame);
    for (std::int64_t t = frame.from_s; t <= frame.to_s; t += 5)
        d.add({t, static_cast<double>(t % 100)});
    CHECK(d.columns().size() == 720);
    CHECK(d.columns().back().x == 719);
}

TEST_CASE("points outside the span and values that are not finite are skipped", "[svg_chart]") {
    const std::vector<ChartColumn> c =
        columns_of({{999, 1}, {1001, NAN}, {1002, INFINITY}, {1050, 2}, {1101, 3}}, small_frame());
    REQUIRE(c.size() == 1);
    CHECK(c[0].x == 5);
    CHECK(c[0].min == 2);
}

TEST_CASE("the value range takes in zero for positive values and widens a flat line",
          "[svg_chart]") {
    const ChartFrame frame = small_frame();
    const ValueRange r = value_range(columns_of({{1000, 40}, {1050, 80}}, frame));
    CHECK(r.lo == 0);
    CHECK(r.hi == 80);
    const ValueRange flat = value_range(columns_of({{1000, -3}, {1050, -3}}, frame));
    CHECK(flat.lo == -3);
    CHECK(flat.hi == -2);
}

TEST_CASE("the path of a known series strokes each column and joins them", "[svg_chart]") {
    const ChartFrame frame = small_frame();
    const std::vector<ChartColumn> c =
        columns_of({{1000, 50}, {1010, 100}, {1012, 0}, {1020, 25}}, frame);
    CHECK(chart_path(c, frame, value_range(c)) == "M0 50.0 L1 0.0 L1 100.0 L2 75.0");
}

TEST_CASE("the path breaks where points are further apart than the gap", "[svg_chart]") {
    const ChartFrame frame = small_frame();
    const std::vector<ChartColumn> c = columns_of({{1000, 50}, {1010, 50}, {1060, 100}}, frame);
    CHECK(chart_path(c, frame, value_range(c)) == "M0 50.0 L1 50.0 M6 0.0");
}

TEST_CASE("an empty series has an empty path and a chart that says so", "[svg_chart]") {
    const ChartFrame frame = small_frame();
    CHECK(chart_path({}, frame, ValueRange{}).empty());
    const std::string svg = render_chart({}, {}, frame, "web1.cpu");
    CHECK(svg.find("no points in this range") != std::string::npos);
    CHECK(svg.find("<path") == std::string::npos);
    CHECK(render_sparkline({}, frame) == "-");
}

TEST_CASE("silent spans are shaded as rectangles clipped to the frame", "[svg_chart]") {
    const ChartFrame frame = small_frame();
    const std::string rects = shading_rects({{900, 1030}, {1050, 1060}, {1200, 1300}}, frame);
    CHECK(occurrences(rects, "<rect class=\"silent\"") == 2);
    CHECK(rects.find(R"(<rect class="silent" x="0" y="0" width="3" height="100">)") !=
          std::string::npos);
    CHECK(rects.find(R"(<rect class="silent" x="5" y="0" width="1" height="100">)") !=
          std::string::npos);
    CHECK(shading_rects({{0, 999}}, frame).empty());
}

TEST_CASE("a chart holds the shading, the path and the escaped title", "[svg_chart]") {
    const ChartFrame frame = small_frame();
    const std::vector<ChartColumn> c = columns_of({{1000, 1}, {1010, 2}}, frame);
    const std::string svg = render_chart(c, {{1040, 1050}}, frame, "a<b\"&c");
    CHECK(svg.starts_with("<svg class=\"chart\""));
    CHECK(svg.ends_with("</svg>"));
    CHECK(svg.find("aria-label=\"a&lt;b&quot;&amp;c\"") != std::string::npos);
    CHECK(svg.find("a<b") == std::string::npos);
    CHECK(svg.find("<rect class=\"silent\"") < svg.find("<path class=\"line\""));
    CHECK(svg.find("data-values=\"0:1:1;1:2:2;\"") != std::string::npos);
}

TEST_CASE("axis labels stay short: large values take an SI suffix", "[svg_chart]") {
    CHECK(axis_label(45'400'000'000.0) == "45.4G");
    CHECK(axis_label(-12'345.0) == "-12.3k");
    CHECK(axis_label(999.5) == "999.5");
    CHECK(axis_label(1'000.0) == "1k");
    CHECK(axis_label(2.5e6) == "2.5M");
    CHECK(axis_label(14.19) == "14.19");
    CHECK(axis_label(0.0) == "0");
    CHECK(axis_label(3e18) == "3e+18");
}
