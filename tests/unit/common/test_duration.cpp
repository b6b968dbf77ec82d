#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/duration.hpp"

using namespace beat;

TEST_CASE("a plain number is seconds", "[duration]") {
    CHECK(parse_duration_ms("20") == 20'000);
    CHECK(parse_duration_ms("0.5") == 500);
    CHECK(parse_duration_ms(".25") == 250);
    CHECK(parse_duration_ms("0") == 0);
    CHECK(parse_duration_ms("1e3") == 1'000'000);
    CHECK(parse_duration_ms("5.") == 5000);
}

TEST_CASE("a unit suffix scales the number", "[duration]") {
    CHECK(parse_duration_ms("250ms") == 250);
    CHECK(parse_duration_ms("5s") == 5000);
    CHECK(parse_duration_ms("10m") == 600'000);
    CHECK(parse_duration_ms("24h") == 86'400'000);
    CHECK(parse_duration_ms("7d") == 604'800'000);
    CHECK(parse_duration_ms("1.5h") == 5'400'000);
    CHECK(parse_duration_ms("0.5ms") == 1);
    CHECK(parse_duration_ms("1e3ms") == 1000);
    CHECK(parse_duration_ms("0s") == 0);
}

TEST_CASE("minutes and milliseconds are told apart", "[duration]") {
    CHECK(parse_duration_ms("5m") == 300'000);
    CHECK(parse_duration_ms("5ms") == 5);
}

TEST_CASE("durations are rounded to the nearest millisecond", "[duration]") {
    CHECK(parse_duration_ms("0.0004") == 0);
    CHECK(parse_duration_ms("0.0006") == 1);
    CHECK(parse_duration_ms("1.2345s") == 1235);
    CHECK(parse_duration_ms("0.4ms") == 0);
    CHECK(parse_duration_ms("1e-400s") == 0);
}

TEST_CASE("up to a hundred years is accepted", "[duration]") {
    CHECK(parse_duration_ms("36500d") == 3'153'600'000'000);
    CHECK_FALSE(parse_duration_ms("36500.001d"));
    CHECK_FALSE(parse_duration_ms("1e300"));
    CHECK_FALSE(parse_duration_ms("1e308d"));
}

TEST_CASE("negative, non-finite and malformed durations are refused", "[duration]") {
    const std::vector<std::string> bad = {
        "",      " ",    "-1",    "-5s",   "-0.001", "s",    "ms",  "m",    "d",    "5 s",
        " 5",    "5 ",   "5S",    "5MS",   "5sec",   "5us",  "5ns", "5w",   "5y",   "5ss",
        "5msms", "5sm",  "5h30m", "1:30",  "nan",    "nans", "inf", "infs", "-inf", "1e400",
        "0x10",  "five", "5,5s",  "1_000", "+s",     ".s",   "5\n"};
    for (const std::string& text : bad) {
        INFO("'" << text << "'");
        CHECK_FALSE(parse_duration_ms(text));
    }
}

TEST_CASE("durations are written as seconds with at most three decimals", "[duration]") {
    CHECK(format_duration(0) == "0s");
    CHECK(format_duration(1000) == "1s");
    CHECK(format_duration(60'000) == "60s");
    CHECK(format_duration(1500) == "1.5s");
    CHECK(format_duration(250) == "0.25s");
    CHECK(format_duration(1) == "0.001s");
    CHECK(format_duration(1'234'567) == "1234.567s");
    CHECK(format_duration(-1500) == "-1.5s");
}

TEST_CASE("a written duration reads back as the same duration", "[duration]") {
    for (std::int64_t ms : std::vector<std::int64_t>{0, 1, 10, 999, 1000, 1001, 1500, 86'399'999,
                                                     3'153'600'000'000}) {
        INFO(ms);
        std::string text = format_duration(ms);
        CHECK(parse_duration_ms(text) == ms);
    }
}

TEST_CASE("a setting's duration is written with the largest unit that holds it exactly",
          "[duration]") {
    CHECK(format_duration_unit(604'800'000) == "7d");
    CHECK(format_duration_unit(129'600'000) == "36h");
    CHECK(format_duration_unit(300'000) == "5m");
    CHECK(format_duration_unit(20'000) == "20s");
    CHECK(format_duration_unit(250) == "250ms");
    CHECK(format_duration_unit(1'500) == "1500ms");
    CHECK(format_duration_unit(0) == "0s");
    for (const std::int64_t ms : {1, 999, 1000, 61'000, 86'400'000, 90'000'000})
        CHECK(parse_duration_ms(format_duration_unit(ms)) == ms);
}
