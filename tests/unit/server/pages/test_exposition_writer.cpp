#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "beat_server/core/pages/exposition_writer.hpp"

using namespace beat;

TEST_CASE("a family is written as HELP then TYPE then its samples", "[exposition_writer]") {
    ExpositionWriter w;
    w.begin("beat_things_total", MetricType::counter, "Things seen.");
    w.sample({{"kind", "a"}}, std::uint64_t{3});
    w.sample({{"kind", "b"}, {"size", "big"}}, std::uint64_t{0});
    w.begin("beat_level", MetricType::gauge, "A level.");
    w.sample(0.5);
    CHECK(w.text() ==
          "# HELP beat_things_total Things seen.\n"
          "# TYPE beat_things_total counter\n"
          "beat_things_total{kind=\"a\"} 3\n"
          "beat_things_total{kind=\"b\",size=\"big\"} 0\n"
          "# HELP beat_level A level.\n"
          "# TYPE beat_level gauge\n"
          "beat_level 0.5\n");
}

TEST_CASE("label values escape backslash double quote and line feed", "[exposition_writer]") {
    ExpositionWriter w;
    w.begin("beat_x", MetricType::gauge, "x");
    w.sample({{"host", "a\\b\"c\nd"}}, 1.0);
    CHECK(w.text().ends_with("beat_x{host=\"a\\\\b\\\"c\\nd\"} 1.0\n"));
}

TEST_CASE("HELP text escapes backslash and line feed but not the double quote",
          "[exposition_writer]") {
    ExpositionWriter w;
    w.begin("beat_x", MetricType::gauge, "a \\ b\nc \"d\"");
    CHECK(w.text().starts_with("# HELP beat_x a \\\\ b\\nc \"d\"\n# TYPE beat_x gauge\n"));
}

TEST_CASE("UTF-8 label values pass as they are and ill-formed bytes become U+FFFD",
          "[exposition_writer]") {
    ExpositionWriter w;
    w.begin("beat_x", MetricType::gauge, "x");
    w.sample({{"host", "h\xC3\xA9te"}}, 1.0);
    w.sample({{"host",
               "a\xFF"
               "b"}},
             2.0);
    CHECK(w.text().find("beat_x{host=\"h\xC3\xA9te\"} 1.0\n") != std::string::npos);
    CHECK(w.text().find("beat_x{host=\"a\xEF\xBF\xBD"
                        "b\"} 2.0\n") != std::string::npos);
}

TEST_CASE("a family begun a second time is refused even after another family",
          "[exposition_writer]") {
    ExpositionWriter w;
    w.begin("beat_a", MetricType::gauge, "a");
    w.sample(1.0);
    w.begin("beat_b", MetricType::gauge, "b");
    CHECK_THROWS_AS(w.begin("beat_a", MetricType::gauge, "a again"), std::invalid_argument);
    CHECK_THROWS_AS(w.begin("beat_b", MetricType::gauge, "b again"), std::invalid_argument);
    CHECK(w.text().find("a again") == std::string::npos);
}

TEST_CASE("a sample before any family is refused", "[exposition_writer]") {
    ExpositionWriter w;
    CHECK_THROWS_AS(w.sample(1.0), std::logic_error);
    CHECK(w.text().empty());
}

TEST_CASE("invalid metric names are refused and colons are allowed", "[exposition_writer]") {
    ExpositionWriter w;
    for (const char* bad : {"", "1abc", "a-b", "a b", "a.b", "h\xC3\xA9"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(w.begin(bad, MetricType::gauge, "x"), std::invalid_argument);
    }
    CHECK_NOTHROW(w.begin(":beat:rule_1", MetricType::gauge, "x"));
    CHECK_NOTHROW(w.begin("_Beat9", MetricType::gauge, "x"));
    CHECK(valid_metric_name("a:b"));
    CHECK_FALSE(valid_label_name("a:b"));
}

TEST_CASE("a counter's name must end in _total and a gauge's must not", "[exposition_writer]") {
    ExpositionWriter w;
    CHECK_THROWS_AS(w.begin("beat_things", MetricType::counter, "x"), std::invalid_argument);
    CHECK_THROWS_AS(w.begin("beat_things_total", MetricType::gauge, "x"), std::invalid_argument);
}

TEST_CASE("invalid reserved and repeated label names are refused", "[exposition_writer]") {
    ExpositionWriter w;
    w.begin("beat_x", MetricType::gauge, "x");
    for (const char* bad : {"", "9a", "a:b", "a-b", "__name__"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(w.sample({{bad, "v"}}, 1.0), std::invalid_argument);
    }
    CHECK_THROWS_AS(w.sample({{"host", "a"}, {"host", "b"}}, 1.0), std::invalid_argument);
    CHECK(w.text() == "# HELP beat_x x\n# TYPE beat_x gauge\n");
}

TEST_CASE("counters beyond 2^53 are written with every digit", "[exposition_writer]") {
    ExpositionWriter w;
    w.begin("beat_big_total", MetricType::counter, "big");
    w.sample({{"n", "2^53+1"}}, std::uint64_t{9'007'199'254'740'993});
    w.sample({{"n", "max"}}, std::numeric_limits<std::uint64_t>::max());
    CHECK(w.text().find("beat_big_total{n=\"2^53+1\"} 9007199254740993\n") != std::string::npos);
    CHECK(w.text().find("beat_big_total{n=\"max\"} 18446744073709551615\n") != std::string::npos);
}

TEST_CASE("doubles are written shortest and NaN and infinities as Prometheus spells them",
          "[exposition_writer]") {
    const auto value = [](double v) {
        std::string s;
        append_sample_value(s, v);
        return s;
    };
    CHECK(value(23.7) == "23.7");
    CHECK(value(0.1) == "0.1");
    CHECK(value(1e16) == "1e+16");
    CHECK(value(-2.5e-7) == "-2.5e-07");
    CHECK(value(1700000002.5) == "1700000002.5");
    CHECK(value(std::nan("")) == "NaN");
    CHECK(value(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(value(-std::numeric_limits<double>::infinity()) == "-Inf");
}
