#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/line_framer.hpp"
#include "common/protocol.hpp"

using namespace beat;
using Kind = Request::Kind;

namespace {

std::string error_reply(std::string_view reason = kWrongCommand) {
    std::string s;
    append_error(s, reason);
    return s;
}

}  // namespace

TEST_CASE("a well-formed put is parsed into key, value and timestamp", "[protocol]") {
    const Request r = parse_request("put cpu 10 1700000000");
    REQUIRE(r.kind == Kind::put);
    CHECK(r.key == "cpu");
    CHECK(r.value == 10.0);
    CHECK(r.timestamp == 1'700'000'000);
}

TEST_CASE("put values are read as floats and timestamps as integers", "[protocol]") {
    struct Case {
        const char* line;
        double value;
        std::int64_t timestamp;
    };
    const std::vector<Case> cases = {
        {"put k 10 1", 10.0, 1},
        {"put k 10.0 1", 10.0, 1},
        {"put k -1.5 -5", -1.5, -5},
        {"put k 1e3 0", 1000.0, 0},
        {"put k 1E-3 +7", 0.001, 7},
        {"put k .5 1", 0.5, 1},
        {"put k 5. 1", 5.0, 1},
        {"put k +2 1", 2.0, 1},
        {"put k 1e308 1", 1e308, 1},
        {"put k 1e-400 1", 0.0, 1},
        {"put k 0.1 253402300799", 0.1, kMaxTimestamp},
        {"put k 0 -62135596800", 0.0, kMinTimestamp},
    };
    for (const Case& c : cases) {
        INFO(c.line);
        const Request r = parse_request(c.line);
        REQUIRE(r.kind == Kind::put);
        CHECK(r.key == "k");
        CHECK(r.value == c.value);
        CHECK(r.timestamp == c.timestamp);
    }
}

TEST_CASE("get names one key, and get * names them all", "[protocol]") {
    const Request one = parse_request("get cpu");
    CHECK(one.kind == Kind::get);
    CHECK(one.key == "cpu");
    CHECK(parse_request("get *").kind == Kind::get_all);
}

TEST_CASE("keys may hold any printable UTF-8, including stars", "[protocol]") {
    for (const char* key : {"a.b-c_d:e/f", "**", "*x", "x*", "temp\xc3\xa9rature", "\"quoted\"",
                            "[1]", "#", "k=v,w", "\xe2\x9c\x93", "\xf0\x9f\x92\x93"}) {
        INFO(key);
        const std::string get_line = std::string("get ") + key;
        const Request get = parse_request(get_line);
        CHECK(get.kind == Kind::get);
        CHECK(get.key == key);
        const std::string put_line = std::string("put ") + key + " 1 2";
        const Request put = parse_request(put_line);
        CHECK(put.kind == Kind::put);
        CHECK(put.key == key);
    }
}

TEST_CASE("the parsed key points into the request line", "[protocol]") {
    const std::string line = "put series 1 2";
    const Request r = parse_request(line);
    REQUIRE(r.kind == Kind::put);
    CHECK(r.key.data() == line.data() + 4);
}

TEST_CASE("every malformed request is reported as malformed", "[protocol]") {
    const std::vector<std::string> bad = {
        // Empty and blank lines.
        "", " ", "  ", "\t",
        // Missing and extra fields.
        "put", "put ", "put k", "put k 1", "put k 1 ", "put k 1 2 3", "put k 1 2 extra", "get",
        "get ", "get a b", "get * *", "get k  x",
        // Separators other than exactly one space.
        "put  k 1 2", "put k  1 2", "put k 1  2", " put k 1 2", "put k 1 2 \t", "put\tk 1 2",
        "put k\t1 2", "put k 1\t2", "get  k", " get k", "get\tk", "get k\t", "putk 1 2", "getk",
        "get*", "put k 1 2\v",
        // Unknown commands and other spellings.
        "PUT k 1 2", "Put k 1 2", "GET k", "Get k", "delete k", "post k 1 2", "puts k 1 2",
        "gets k", "ok", "error",
        // Values that are not finite decimal numbers.
        "put k nan 1", "put k NaN 1", "put k -nan 1", "put k inf 1", "put k -inf 1", "put k +inf 1",
        "put k infinity 1", "put k 1e400 1", "put k -1e400 1", "put k abc 1", "put k 0x10 1",
        "put k 1,5 1", "put k 1_000 1", "put k - 1", "put k + 1", "put k . 1", "put k 1e 1",
        "put k 1.2.3 1",
        // Timestamps that are not integers within int64.
        "put k 1 1.5", "put k 1 abc", "put k 1 1e3", "put k 1 0x10", "put k 1 -", "put k 1 +",
        "put k 1 1.0", "put k 1 9223372036854775808", "put k 1 -9223372036854775809",
        "put k 1 99999999999999999999999999", "put k 1 nan",
        // Keys that cannot name a series.
        "put * 1 2", "put \x01 1 2", "put k\x01 1 2", "get k\x7f", "get \x1b[31mred",
        std::string("put k\0 1 2", 10), std::string("get \0", 5), "get k\r", "put k\r 1 2",
        "get a\nb",
        // Line endings that were not stripped.
        "put k 1 2\r", "get k\n", "get *\r", "put k 1 2\r\n"};
    for (const std::string& line : bad) {
        INFO("'" << line << "'");
        CHECK(parse_request(line).kind == Kind::malformed);
    }
}

TEST_CASE("spaces typed at the end of a request line are ignored", "[protocol]") {
    const Request get = parse_request("get test_key ");
    CHECK(get.kind == Kind::get);
    CHECK(get.key == "test_key");
    CHECK(parse_request("get *   ").kind == Kind::get_all);
    const Request put = parse_request("put palm.cpu 2.0 1150864247  ");
    REQUIRE(put.kind == Kind::put);
    CHECK(put.key == "palm.cpu");
    CHECK(put.value == 2.0);
    CHECK(put.timestamp == 1150864247);
    // Framed from telnet's "\r\n" with a space before it.
    const Frame f = next_line("get test_key \r\n");
    REQUIRE(f.kind == Frame::Kind::line);
    CHECK(parse_request(f.line).kind == Kind::get);
}

TEST_CASE("a request with CRLF is well-formed once framed", "[protocol]") {
    // The line framer drops a '\r' before the '\n', so "get k\r\n" reaches parse_request as "get
    // k".
    const Frame f = next_line("put k 1 2\r\n");
    REQUIRE(f.kind == Frame::Kind::line);
    CHECK(parse_request(f.line).kind == Kind::put);
}

TEST_CASE("a very long request line is parsed without trouble", "[protocol]") {
    CHECK(parse_request("put k 0." + std::string(60'000, '1') + " 2").kind == Kind::put);
    CHECK(parse_request("put " + std::string(60'000, 'k') + " 1 2").kind == Kind::malformed);
    CHECK(parse_request("put k 1 " + std::string(60'000, '1')).kind == Kind::malformed);
    CHECK(parse_request(std::string(60'000, ' ')).kind == Kind::malformed);
}

TEST_CASE("valid_key accepts printable keys and refuses the rest", "[protocol]") {
    CHECK(valid_key("cpu"));
    CHECK(valid_key("a.b"));
    CHECK(valid_key("**"));
    CHECK(valid_key("\xe2\x9c\x93"));
    CHECK(valid_key("~"));
    CHECK_FALSE(valid_key(""));
    CHECK_FALSE(valid_key("*"));
    CHECK_FALSE(valid_key("a b"));
    CHECK_FALSE(valid_key(" "));
    CHECK_FALSE(valid_key("a\tb"));
    CHECK_FALSE(valid_key("a\n"));
    CHECK_FALSE(valid_key("a\r"));
    CHECK_FALSE(valid_key("\x7f"));
    CHECK_FALSE(valid_key(std::string_view("a\0b", 3)));
    for (int c = 0; c < 0x20; ++c) {
        CHECK_FALSE(valid_key(std::string(1, static_cast<char>(c))));
    }
}

TEST_CASE("keys are at most 511 bytes, so that any heartbeat metric's key fits", "[protocol]") {
    const std::string host(255, 'h'), metric(255, 'm');
    const std::string longest = host + "." + metric;
    REQUIRE(longest.size() == kMaxKeyLength);
    CHECK(check_key(longest) == RequestError::none);
    CHECK(check_key(longest + "x") == RequestError::long_key);
    const std::string line = "put " + longest + " 1 2";
    const Request put = parse_request(line);
    CHECK(put.kind == Kind::put);
    CHECK(put.key == longest);
    const Request get = parse_request("get " + longest + "x");
    CHECK(get.kind == Kind::malformed);
    CHECK(get.error == RequestError::long_key);
    // 170 three-byte characters (510 bytes) fit; one more does not.
    std::string wide;
    for (int i = 0; i < 170; ++i)
        wide += "\xe2\x9c\x93";
    CHECK(check_key(wide) == RequestError::none);
    CHECK(check_key(wide + "\xe2\x9c\x93") == RequestError::long_key);
}

TEST_CASE("keys must be well-formed UTF-8", "[protocol]") {
    for (const char* key : {"\xff\xfe", "a\x80", "\xc3", "temp\xc3(", "\xc0\xae", "\xed\xa0\x80",
                            "\xf4\x90\x80\x80", "\xf0\x9f\x92"}) {
        INFO(key);
        CHECK(check_key(key) == RequestError::key_not_utf8);
        CHECK(parse_request(std::string("get ") + key).error == RequestError::key_not_utf8);
        CHECK(parse_request(std::string("put ") + key + " 1 2").error ==
              RequestError::key_not_utf8);
    }
}

TEST_CASE("timestamps are refused outside the years 1 to 9999", "[protocol]") {
    CHECK(parse_request("put k 1 253402300799").kind == Kind::put);
    CHECK(parse_request("put k 1 -62135596800").kind == Kind::put);
    CHECK(parse_request("put k 1 -1").kind == Kind::put);
    for (const char* line :
         {"put k 1 253402300800", "put k 1 -62135596801", "put k 1 9223372036854775807",
          "put k 1 -9223372036854775808", "put k 1 100000000000000"}) {
        INFO(line);
        const Request r = parse_request(line);
        CHECK(r.kind == Kind::malformed);
        CHECK(r.error == RequestError::timestamp_range);
    }
}

TEST_CASE("values that spell a number that is not finite are told apart", "[protocol]") {
    for (const char* v : {"nan", "NaN", "-nan", "+nan", "inf", "-inf", "+INF", "infinity",
                          "Infinity", "1e400", "-1e400", "1e999999999999"}) {
        INFO(v);
        CHECK(parse_request(std::string("put k ") + v + " 1").error ==
              RequestError::non_finite_value);
    }
    for (const char* v :
         {"abc", "0x10", "1,5", "-", "+", ".", "1e", "+-inf", "--1", "nanx", "", "1 "}) {
        INFO(v);
        const Request r = parse_request(std::string("put k ") + v + " 1");
        CHECK(r.kind == Kind::malformed);
        CHECK(r.error != RequestError::non_finite_value);
    }
}

TEST_CASE("every malformed request is counted under the first reason that applies", "[protocol]") {
    using E = RequestError;
    const std::vector<std::pair<std::string, RequestError>> cases = {
        {"", E::bad_syntax},
        {"hello", E::bad_syntax},
        {"PUT k 1 2", E::bad_syntax},
        {"put k 1", E::bad_syntax},
        {"put k 1 2 3", E::bad_syntax},
        {"put  k 1 2", E::bad_syntax},
        {"get a b", E::bad_syntax},
        {"get", E::bad_syntax},
        {"get ", E::bad_syntax},  // The key is missing, since trailing spaces are ignored.
        {"put  1 2", E::empty_key},
        {"get " + std::string(512, 'k'), E::long_key},
        {"put " + std::string(600, 'k') + " nan x", E::long_key},
        {"get k\t", E::key_control},
        {"put \x1b[31m 1 2", E::key_control},
        {std::string("get k\0", 6), E::key_control},
        {"get \x7f", E::key_control},
        {"get k\r", E::key_control},
        {"put \xff 1 2", E::key_not_utf8},
        {"put * 1 2", E::reserved_key},
        {"put * nan 2", E::reserved_key},
        {"put k abc 1", E::bad_value},
        {"put k 1_000 x", E::bad_value},
        {"put k inf 1", E::non_finite_value},
        {"put k nan x", E::non_finite_value},
        {"put k 1 1.5", E::bad_timestamp},
        {"put k 1 9223372036854775808", E::bad_timestamp},
        {"put k 1 ", E::bad_syntax},
        {"put k 1 999999999999", E::timestamp_range},
    };
    for (const auto& [line, reason] : cases) {
        INFO("'" << line << "'");
        const Request r = parse_request(line);
        CHECK(r.kind == Kind::malformed);
        CHECK(to_string(r.error) == to_string(reason));
    }
}

TEST_CASE("a well-formed request carries no error", "[protocol]") {
    for (const char* line : {"put k 1 2", "get k", "get *"}) {
        INFO(line);
        CHECK(parse_request(line).error == RequestError::none);
    }
}

TEST_CASE("every request error has its own name", "[protocol]") {
    std::set<std::string_view> names;
    for (std::size_t i = 0; i < kRequestErrorCount; ++i) {
        const std::string_view name = to_string(static_cast<RequestError>(i));
        CHECK(name != "unknown");
        names.insert(name);
    }
    CHECK(names.size() == kRequestErrorCount);
    CHECK(to_string(static_cast<RequestError>(kRequestErrorCount)) == "unknown");
}

TEST_CASE("reply text is built byte for byte", "[protocol]") {
    std::string s;
    append_ok(s);
    append_point(s, "cpu", 10, 1'700'000'000);
    append_point(s, "cpu", 0.25, -5);
    append_point(s, "mem", 1e16, 0);
    append_point(s, "mem", -0.0, std::numeric_limits<std::int64_t>::min());
    append_end(s);
    CHECK(s ==
          "ok\n"
          "cpu 10.0 1700000000\n"
          "cpu 0.25 -5\n"
          "mem 1e+16 0\n"
          "mem -0.0 -9223372036854775808\n"
          "\n");
}

TEST_CASE("an empty ok reply is two lines", "[protocol]") {
    std::string s;
    append_ok(s);
    append_end(s);
    CHECK(s == "ok\n\n");
}

TEST_CASE("error replies say wrong command unless told otherwise", "[protocol]") {
    CHECK(error_reply() == "error\nwrong command\n\n");
    CHECK(error_reply("too many series (limit 1000)") == "error\ntoo many series (limit 1000)\n\n");
    std::string s = "ok\n\n";
    append_error(s);
    CHECK(s == "ok\n\nerror\nwrong command\n\n");
}

TEST_CASE("request text is built byte for byte", "[protocol]") {
    CHECK(format_put("cpu", 10, 1'700'000'000) == "put cpu 10.0 1700000000\n");
    CHECK(format_put("k", 1.0 / 3, -1) == "put k 0.3333333333333333 -1\n");
    CHECK(format_put("k", 1e-5, 0) == "put k 1e-05 0\n");
    CHECK(format_get("cpu") == "get cpu\n");
    CHECK(format_get("*") == "get *\n");
}

TEST_CASE("format_put reads back as the same put", "[protocol]") {
    std::mt19937_64 rng(7);
    for (int i = 0; i < 20'000; ++i) {
        const double value = std::bit_cast<double>(rng());
        if (!std::isfinite(value)) continue;
        const auto ts =
            std::uniform_int_distribution<std::int64_t>(kMinTimestamp, kMaxTimestamp)(rng);
        std::string text = format_put("series.1", value, ts);
        REQUIRE(text.back() == '\n');
        text.pop_back();
        const Request r = parse_request(text);
        INFO(text);
        REQUIRE(r.kind == Kind::put);
        REQUIRE(r.key == "series.1");
        REQUIRE(std::bit_cast<std::uint64_t>(r.value) == std::bit_cast<std::uint64_t>(value));
        REQUIRE(r.timestamp == ts);
    }
}

TEST_CASE("parse_reply reads an empty ok reply", "[protocol]") {
    const Reply r = parse_reply("ok\n\n");
    CHECK(r.kind == Reply::Kind::ok);
    CHECK(r.consumed == 4);
    CHECK(r.series.empty());
}

TEST_CASE("parse_reply groups points by key and sorts each by timestamp", "[protocol]") {
    const std::string text = "ok\ncpu 3.0 30\nmem 1e+16 5\ncpu 1.0 10\ncpu 2.5 20\nmem -0.5 -1\n\n";
    const Reply r = parse_reply(text);
    REQUIRE(r.kind == Reply::Kind::ok);
    CHECK(r.consumed == text.size());
    CHECK(r.series ==
          SeriesMap{{"cpu", {{10, 1.0}, {20, 2.5}, {30, 3.0}}}, {"mem", {{-1, -0.5}, {5, 1e16}}}});
}

TEST_CASE("parse_reply keeps points with equal timestamps in the order sent", "[protocol]") {
    const Reply r = parse_reply("ok\nk 2.0 5\nk 1.0 5\nk 0.0 4\n\n");
    REQUIRE(r.kind == Reply::Kind::ok);
    CHECK(r.series.at("k") == Points{{4, 0.0}, {5, 2.0}, {5, 1.0}});
}

TEST_CASE("parse_reply reads an error reply's reason", "[protocol]") {
    Reply r = parse_reply("error\nwrong command\n\n");
    CHECK(r.kind == Reply::Kind::error);
    CHECK(r.message == "wrong command");
    CHECK(r.consumed == 21);
    r = parse_reply("error\n\n\n");
    CHECK(r.kind == Reply::Kind::error);
    CHECK(r.message.empty());
    CHECK(r.consumed == 8);
}

TEST_CASE("parse_reply reads only the first of several replies", "[protocol]") {
    const std::string first = "ok\nk 1.0 1\n\n";
    const std::string second = "error\nwrong command\n\n";
    Reply r = parse_reply(first + second + "ok\n");
    REQUIRE(r.kind == Reply::Kind::ok);
    CHECK(r.consumed == first.size());
    r = parse_reply(second + first);
    REQUIRE(r.kind == Reply::Kind::error);
    CHECK(r.consumed == second.size());
}

TEST_CASE("every proper prefix of a reply needs more bytes", "[protocol]") {
    for (const std::string full : {"ok\n\n", "ok\nk 1.0 1\nk 2.0 2\n\n", "error\nwrong command\n\n",
                                   "error\n\n\n", "ok\r\nk 1.0 1\r\n\r\n"}) {
        for (std::size_t n = 0; n < full.size(); ++n) {
            INFO("'" << full.substr(0, n) << "'");
            const Reply r = parse_reply(std::string_view(full).substr(0, n));
            CHECK(r.kind == Reply::Kind::need_more);
            CHECK(r.series.empty());
        }
        CHECK(parse_reply(full).consumed == full.size());
    }
}

TEST_CASE("parse_reply accepts CRLF line ends", "[protocol]") {
    const Reply r = parse_reply("ok\r\nk 1.0 1\r\n\r\n");
    REQUIRE(r.kind == Reply::Kind::ok);
    CHECK(r.series == SeriesMap{{"k", {{1, 1.0}}}});
}

TEST_CASE("parse_reply reports replies that break the protocol", "[protocol]") {
    const std::vector<std::string> bad = {
        "\n",
        "hello\n",
        "OK\n\n",
        "ok \n\n",
        " ok\n\n",
        "ERROR\nwrong command\n\n",
        "error\nwrong command\nnot blank\n",
        "ok\nk 1.0\n\n",
        "ok\nk\n\n",
        "ok\nk 1.0 1 2\n\n",
        "ok\nk  1.0 1\n\n",
        "ok\n 1.0 1\n\n",
        "ok\nk nan 1\n\n",
        "ok\nk inf 1\n\n",
        "ok\nk 1.0 1.5\n\n",
        "ok\nk 1.0 x\n\n",
        "ok\nk x 1\n\n",
        "ok\nk 1.0 1\nbad\n\n",
    };
    for (const std::string& text : bad) {
        INFO("'" << text << "'");
        const Reply r = parse_reply(text);
        CHECK(r.kind == Reply::Kind::malformed);
        CHECK_FALSE(r.message.empty());
        CHECK(r.series.empty());
    }
}

TEST_CASE("parse_reply reports a reply line over the line limit", "[protocol]") {
    const std::string huge(kMaxLineLength + 2, 'x');
    for (const std::string& text :
         {huge, "ok\n" + huge, "ok\nk 1.0 1\n" + huge, "error\n" + huge, huge + "\n\n"}) {
        const Reply r = parse_reply(text);
        CHECK(r.kind == Reply::Kind::malformed);
        CHECK_THAT(r.message, Catch::Matchers::Contains("too long"));
    }
}

TEST_CASE("parse_reply keeps the keys in the order the server sent them", "[protocol]") {
    const Reply r = parse_reply("ok\nzeta 1.0 2\nalpha 2.0 1\nzeta 3.0 1\nmid 4.0 1\n\n");
    REQUIRE(r.kind == Reply::Kind::ok);
    CHECK(r.keys == std::vector<std::string>{"zeta", "alpha", "mid"});
    CHECK(r.series.at("zeta") == Points{{1, 3.0}, {2, 1.0}});
}
