#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <string_view>

#include "common/log.hpp"

using namespace beat;
using nlohmann::json;

namespace {

// The only line captured, parsed as json (it must be exactly one line).
json only_json_line(const LogCapture& capture) {
    REQUIRE(capture.lines().size() == 1);
    const std::string& line = capture.lines()[0];
    REQUIRE(line.back() == '\n');
    REQUIRE(line.find('\n') == line.size() - 1);
    return json::parse(line);
}

}  // namespace

TEST_CASE("log formats are parsed from text and json only", "[log]") {
    CHECK(parse_log_format("text") == LogFormat::text);
    CHECK(parse_log_format("json") == LogFormat::json);
    CHECK_FALSE(parse_log_format("JSON").has_value());
    CHECK_FALSE(parse_log_format("").has_value());
}

TEST_CASE("a text event reads as its words followed by key=value fields", "[log]") {
    LogCapture capture(LogFormat::text, true);
    const std::string address = "10.0.0.7:4000";
    log_event(LogLevel::warn, "host_silent",
              {{"host", "palm"},
               {"silent_for", LogValue::duration(1500)},
               {"address", address},
               {"last_seq", std::uint64_t{42}},
               {"timeout", LogValue::duration(3000)},
               {"phi", LogValue::unknown("-")},
               {"loss", LogValue::percent(0.015)},
               {"next_beat", LogValue::duration(-250, true)}});
    log_event(LogLevel::info, "host_back",
              {{"away_for", LogValue::duration(2000)},
               {"lost", LogValue::unknown("unknown")},
               {"restarted", true},
               {"next_beat", LogValue::duration(250, true)},
               {"phi", LogValue::fixed(0.123456, 2)}});
    REQUIRE(capture.lines().size() == 2);
    CHECK(capture.lines()[0] ==
          "<4>WARN host silent host=palm silent_for=1.5s address=10.0.0.7:4000 last_seq=42 "
          "timeout=3s phi=- loss=1.5% next_beat=-0.25s\n");
    CHECK(capture.lines()[1] ==
          "<6>INFO host back away_for=2s lost=unknown restarted=yes next_beat=+0.25s phi=0.12\n");
}

TEST_CASE("text events can be spelled in other words with notes and suffixes", "[log]") {
    LogCapture capture(LogFormat::text, true);
    log_event(LogLevel::info, {"listening", "listening on"},
              {{"timeout", LogValue::milliseconds(1500)},
               {"phi_pause", LogValue(1.5).text_suffix("x-interval")},
               {"incarnation", LogValue::hex(0xabc)},
               json_field("hidden", 1),
               text_note("(a note)")});
    REQUIRE(capture.lines().size() == 1);
    CHECK(capture.lines()[0] ==
          "<6>INFO listening on timeout=1500ms phi_pause=1.5x-interval "
          "incarnation=0000000000000abc (a note)\n");
}

TEST_CASE("a json event carries time level event and typed fields", "[log]") {
    LogCapture capture(LogFormat::json, false);
    const std::string_view names[] = {"a", "b"};
    log_event(LogLevel::warn, {"host_silent", "words only text shows"},
              {{"host", "palm"},
               {"silent_for", LogValue::duration(1500)},
               {"last_seq", std::uint64_t{18'446'744'073'709'551'615u}},
               {"delta", std::int64_t{-3}},
               {"phi", LogValue::unknown("-")},
               {"threshold", 8.5},
               {"loss", LogValue::percent(0.015)},
               {"restarted", false},
               {"incarnation", LogValue::hex(0xabc)},
               {"phi_pause", LogValue(1.5).text_suffix("x-interval")},
               {"timeout", LogValue::milliseconds(1500)},
               {"hosts", LogValue::strings(names)},
               text_note("(not in json)")});
    const json j = only_json_line(capture);
    const std::string time = j.at("time");
    CHECK(std::regex_match(time, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
    CHECK(j.at("level") == "warn");
    CHECK(j.at("event") == "host_silent");
    CHECK(j.at("host") == "palm");
    CHECK(j.at("silent_for").is_number_float());
    CHECK(j.at("silent_for").get<double>() == Approx(1.5));
    CHECK(j.at("last_seq").is_number_unsigned());
    CHECK(j.at("last_seq").get<std::uint64_t>() == 18'446'744'073'709'551'615u);
    CHECK(j.at("delta").get<std::int64_t>() == -3);
    CHECK(j.at("phi").is_null());
    CHECK(j.at("threshold").get<double>() == 8.5);
    CHECK(j.at("loss").get<double>() == Approx(0.015));
    CHECK(j.at("restarted") == false);
    CHECK(j.at("incarnation") == "0000000000000abc");
    CHECK(j.at("phi_pause").get<double>() == 1.5);
    CHECK(j.at("timeout").get<double>() == Approx(1.5));
    CHECK(j.at("hosts") == json::array({"a", "b"}));
    CHECK(j.size() == 15);  // time, level, event and the twelve fields not for text only.
    // The first members are always time, level and event, in that order.
    CHECK(capture.lines()[0].rfind(R"({"time":")", 0) == 0);
    CHECK(capture.lines()[0].find(R"(","level":"warn","event":"host_silent","host":"palm")") !=
          std::string::npos);
}

TEST_CASE("json escapes quotes newlines and control characters in one line", "[log]") {
    LogCapture capture(LogFormat::json, false);
    const std::string host = "evil\"\n{\"event\":\"host_back\"}\r\t\x01\\";
    log_event(LogLevel::warn, "datagram_refused", {{"host", host}});
    const json j = only_json_line(capture);
    CHECK(j.at("host") == host);
    CHECK(j.at("event") == "datagram_refused");
    CHECK(capture.lines()[0].find("\\u0001") != std::string::npos);
}

TEST_CASE("json replaces bad UTF-8 in a host name and keeps the event", "[log]") {
    LogCapture capture(LogFormat::json, false);
    log_event(LogLevel::info, "host_new", {{"host", std::string_view("ok\xff\xfe-name")}});
    const json j = only_json_line(capture);
    CHECK(j.at("event") == "host_new");
    CHECK(j.at("host") == "ok\xEF\xBF\xBD\xEF\xBF\xBD-name");
}

TEST_CASE("a plain message in json becomes a message event", "[log]") {
    LogCapture capture(LogFormat::json, false);
    log_warn("storage: batch {} failed\nretrying", 7);
    const json j = only_json_line(capture);
    CHECK(j.at("level") == "warn");
    CHECK(j.at("event") == "message");
    CHECK(j.at("message") == "storage: batch 7 failed\nretrying");
}

TEST_CASE("journald lines keep the priority prefix in json", "[log]") {
    LogCapture capture(LogFormat::json, true);
    log_event(LogLevel::error, "stopped", {{"datagrams", 3}});
    log_info("plain");
    REQUIRE(capture.lines().size() == 2);
    const std::string& line = capture.lines()[0];
    REQUIRE(line.rfind("<3>{", 0) == 0);
    const json j = json::parse(line.substr(3));
    CHECK(j.at("level") == "error");
    CHECK(j.at("datagrams") == 3);
    CHECK(capture.lines()[1].rfind("<6>{", 0) == 0);
}

TEST_CASE("text lines outside the journal start with a UTC timestamp in milliseconds", "[log]") {
    LogCapture capture(LogFormat::text, false);
    log_event(LogLevel::info, "stopped", {{"datagrams", 3}});
    log_info("plain {}", "message");
    REQUIRE(capture.lines().size() == 2);
    const std::regex stamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO )");
    CHECK(std::regex_search(capture.lines()[0], stamp, std::regex_constants::match_continuous));
    CHECK(capture.lines()[0].ends_with(" INFO stopped datagrams=3\n"));
    CHECK(capture.lines()[1].ends_with(" INFO plain message\n"));
}

TEST_CASE("events below the log level are not written", "[log]") {
    LogCapture capture(LogFormat::json, false);
    set_log_level(LogLevel::warn);
    log_event(LogLevel::info, "host_new", {{"host", "palm"}});
    log_event(LogLevel::warn, "host_silent", {{"host", "palm"}});
    set_log_level(LogLevel::info);
    REQUIRE(capture.lines().size() == 1);
    CHECK(json::parse(capture.lines()[0]).at("event") == "host_silent");
}
