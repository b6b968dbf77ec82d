#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "beat_client/core/plugin_output.hpp"

using namespace beat;

namespace {

std::vector<Metric> parse(std::string_view output, PluginOutputReport& report, bool cut = false,
                          std::string_view plugin = "nginx") {
    std::vector<Metric> out;
    MetricWriter w(out);
    report = parse_plugin_output(plugin, output, cut, w);
    w.finish();
    return out;
}

}  // namespace

TEST_CASE("a plugin's name value lines become metrics under the plugin's name", "[plugin_output]") {
    PluginOutputReport r;
    const auto m = parse("# nginx status\n\nactive 12\nrequests.per_s\t3.5\r\nreading 0", r);
    CHECK(m == std::vector<Metric>{
                   {"nginx.active", 12}, {"nginx.requests.per_s", 3.5}, {"nginx.reading", 0}});
    CHECK(r.ok());
    CHECK(r.lines.metrics == 3);
    CHECK(output_problem(r).empty());
}

TEST_CASE("bad lines and names too long with the plugin's name are counted, the first described",
          "[plugin_output]") {
    PluginOutputReport r;
    // "nginx." is 6 bytes: a name of 249 bytes makes 255, one of 250 makes 256.
    const std::string fits(249, 'a'), too_long(250, 'b');
    const auto m = parse("ok 1\n" + too_long + " 2\n" + fits + " 3\nx nan\ny 1 2\n", r);
    CHECK(m == std::vector<Metric>{{"nginx.ok", 1}, {"nginx." + fits, 3}});
    CHECK_FALSE(r.ok());
    CHECK(r.lines.bad_lines == 3);
    CHECK(r.lines.first_error == "line 2: metric name over 255 bytes with its prefix");
    CHECK(output_problem(r) == "3 bad lines (line 2: metric name over 255 bytes with its prefix)");
}

TEST_CASE("a run gives at most 256 metrics, the rest counted as bad lines", "[plugin_output]") {
    std::string out;
    for (int i = 0; i < 300; ++i)
        out += "m" + std::to_string(i) + " 1\n";
    PluginOutputReport r;
    const auto m = parse(out, r);
    CHECK(m.size() == kMaxPluginMetrics);
    CHECK(m.back().name == "nginx.m255");
    CHECK(r.lines.bad_lines == 300 - kMaxPluginMetrics);
    CHECK(r.lines.first_error == "line 257: too many metrics");
}

TEST_CASE("cut output loses its last, incomplete line and says it was cut", "[plugin_output]") {
    PluginOutputReport r;
    const auto m = parse("a 1\nb 2\nc 3", r, true);
    CHECK(m == std::vector<Metric>{{"nginx.a", 1}, {"nginx.b", 2}});
    CHECK(r.cut);
    CHECK(r.lines.bad_lines == 0);
    CHECK_FALSE(r.ok());
    CHECK(output_problem(r) == "output cut at 65536 bytes");

    // One line longer than the bound gives nothing at all.
    CHECK(parse("a 1234", r, true).empty());
    CHECK(r.cut);
}

TEST_CASE("output past 64 KiB is read as if cut there", "[plugin_output]") {
    std::string out;
    while (out.size() <= kMaxPluginOutputBytes)
        out += "value 12345678\n";
    PluginOutputReport r;
    const auto m = parse(out, r);
    CHECK(r.cut);
    CHECK(m.size() == kMaxPluginMetrics);
    CHECK(r.lines.bad_lines > 0);
    CHECK(output_problem(r) ==
          "4113 bad lines (line 257: too many metrics); output cut at 65536 bytes");
}

TEST_CASE("the stderr of a failed run fits on one log line", "[plugin_output]") {
    CHECK(stderr_excerpt("") == "");
    CHECK(stderr_excerpt("  \n") == "");
    CHECK(stderr_excerpt("curl: (7) \"refused\"\nretry\\n\n") == "curl: (7)  refused  retry n");
    CHECK(stderr_excerpt(std::string(2000, 'e')).size() == kMaxPluginStderrBytes);
}
