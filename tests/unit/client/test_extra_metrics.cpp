#include <catch2/catch.hpp>

#include "beat_client/core/extra_metrics.hpp"

using namespace beat;

namespace {

std::vector<Metric> parse_file(std::string_view content, MetricsFileReport& report,
                               std::size_t max = kMaxFileMetrics) {
    std::vector<Metric> out;
    MetricWriter w(out);
    report = parse_metrics_file(content, w, max);
    w.finish();
    return out;
}

}  // namespace

TEST_CASE("a name=value metric from the command line is parsed", "[extra_metrics]") {
    std::string error;
    const auto m = parse_metric_assignment("queue.depth=12.5", error);
    REQUIRE(m);
    CHECK(m->name == "queue.depth");
    CHECK(m->value == 12.5);
}

TEST_CASE("a bad name=value metric says what is wrong", "[extra_metrics]") {
    std::string error;
    CHECK_FALSE(parse_metric_assignment("queue.depth", error));
    CHECK(error.find("name=value") != std::string::npos);
    CHECK_FALSE(parse_metric_assignment("queue depth=1", error));
    CHECK(error.find("name") != std::string::npos);
    CHECK_FALSE(parse_metric_assignment("=1", error));
    CHECK_FALSE(parse_metric_assignment("q=nan", error));
    CHECK(error.find("finite") != std::string::npos);
    CHECK_FALSE(parse_metric_assignment("q=", error));
}

TEST_CASE("a metrics file's name value lines become metrics, comments and blanks are ignored",
          "[extra_metrics]") {
    MetricsFileReport r;
    const auto m = parse_file(
        "# published by backup.sh\n\nbackup.age_s 3600\n"
        "  queue.depth\t17  \r\nerrors -1e3\n",
        r);
    REQUIRE(m.size() == 3);
    CHECK(m[0] == Metric{"backup.age_s", 3600});
    CHECK(m[1] == Metric{"queue.depth", 17});
    CHECK(m[2] == Metric{"errors", -1000});
    CHECK(r.metrics == 3);
    CHECK(r.bad_lines == 0);
    CHECK(r.first_error.empty());
}

TEST_CASE("bad lines in a metrics file are skipped, counted and the first one described",
          "[extra_metrics]") {
    MetricsFileReport r;
    const auto m = parse_file("ok 1\nnovalue\nx 1 2\ny inf\nok2 2\n", r);
    CHECK(m.size() == 2);
    CHECK(r.metrics == 2);
    CHECK(r.bad_lines == 3);
    CHECK(r.first_error.starts_with("line 2: "));
}

TEST_CASE("a metrics file with more metrics than allowed keeps the first ones", "[extra_metrics]") {
    MetricsFileReport r;
    const auto m = parse_file("a 1\nb 2\nc 3\nd 4\n", r, 2);
    CHECK(m.size() == 2);
    CHECK(r.bad_lines == 2);
    CHECK(r.first_error == "line 3: too many metrics");
}
