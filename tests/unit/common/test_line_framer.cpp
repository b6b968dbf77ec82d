#include <catch2/catch.hpp>

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "common/line_framer.hpp"

using namespace beat;
using Kind = Frame::Kind;

namespace {

// What next_line must answer, written the slow and obvious way.
Frame expected_frame(std::string_view buf, std::size_t max_line) {
    const std::size_t nl = buf.find('\n');
    if (nl == std::string_view::npos) {
        const bool can_end =
            buf.size() <= max_line || (buf.size() == max_line + 1 && buf.back() == '\r');
        return {can_end ? Kind::need_more : Kind::too_long, {}, 0};
    }
    std::string_view line = buf.substr(0, nl);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.size() > max_line) return {Kind::too_long, {}, 0};
    return {Kind::line, line, nl + 1};
}

}  // namespace

TEST_CASE("a complete line is returned without its newline", "[line_framer]") {
    const Frame f = next_line("get cpu\n");
    REQUIRE(f.kind == Kind::line);
    CHECK(f.line == "get cpu");
    CHECK(f.consumed == 8);
}

TEST_CASE("only the first of several lines is returned", "[line_framer]") {
    const std::string_view buf = "put a 1 2\nget a\n";
    const Frame f = next_line(buf);
    REQUIRE(f.kind == Kind::line);
    CHECK(f.line == "put a 1 2");
    CHECK(f.line.data() == buf.data());
    CHECK(f.consumed == 10);
}

TEST_CASE("an empty line is a line", "[line_framer]") {
    const Frame f = next_line("\nrest");
    REQUIRE(f.kind == Kind::line);
    CHECK(f.line.empty());
    CHECK(f.consumed == 1);
}

TEST_CASE("bytes without a newline need more", "[line_framer]") {
    CHECK(next_line("").kind == Kind::need_more);
    CHECK(next_line("get cp").kind == Kind::need_more);
    CHECK(next_line("get cpu\r").kind == Kind::need_more);
}

TEST_CASE("one carriage return before the newline is dropped", "[line_framer]") {
    Frame f = next_line("get cpu\r\n");
    REQUIRE(f.kind == Kind::line);
    CHECK(f.line == "get cpu");
    CHECK(f.consumed == 9);
    f = next_line("\r\n");
    REQUIRE(f.kind == Kind::line);
    CHECK(f.line.empty());
    CHECK(f.consumed == 2);
    f = next_line("a\r\r\n");
    REQUIRE(f.kind == Kind::line);
    CHECK(f.line == "a\r");
    f = next_line("a\rb\n");
    REQUIRE(f.kind == Kind::line);
    CHECK(f.line == "a\rb");
}

TEST_CASE("a line of exactly the limit is accepted, one byte more is too long", "[line_framer]") {
    const std::string at_limit(kMaxLineLength, 'x');
    Frame f = next_line(at_limit + "\n");
    REQUIRE(f.kind == Kind::line);
    CHECK(f.line.size() == kMaxLineLength);
    f = next_line(at_limit + "\r\n");
    REQUIRE(f.kind == Kind::line);
    CHECK(f.line.size() == kMaxLineLength);
    CHECK(f.consumed == kMaxLineLength + 2);
    CHECK(next_line(at_limit + "x\n").kind == Kind::too_long);
    CHECK(next_line(at_limit + "x\r\n").kind == Kind::too_long);
}

TEST_CASE("a partial line is too long as soon as it cannot end within the limit", "[line_framer]") {
    const std::string at_limit(kMaxLineLength, 'x');
    CHECK(next_line(at_limit).kind == Kind::need_more);
    CHECK(next_line(at_limit + "\r").kind == Kind::need_more);
    CHECK(next_line(at_limit + "x").kind == Kind::too_long);
    CHECK(next_line(at_limit + "\r\r").kind == Kind::too_long);
    CHECK(next_line(at_limit + "xx").kind == Kind::too_long);
}

TEST_CASE("a newline far beyond the limit does not make a long line acceptable", "[line_framer]") {
    const std::string buf = std::string(10 * kMaxLineLength, 'x') + "\n";
    CHECK(next_line(buf).kind == Kind::too_long);
}

TEST_CASE("the limit can be chosen by the caller", "[line_framer]") {
    CHECK(next_line("abcd\n", 4).kind == Kind::line);
    CHECK(next_line("abcde\n", 4).kind == Kind::too_long);
    CHECK(next_line("\n", 0).kind == Kind::line);
    CHECK(next_line("\r\n", 0).kind == Kind::line);
    CHECK(next_line("a", 0).kind == Kind::too_long);
    const Frame f = next_line("no limit at all\n", std::numeric_limits<std::size_t>::max());
    REQUIRE(f.kind == Kind::line);
    CHECK(f.line == "no limit at all");
    CHECK(next_line("no newline", std::numeric_limits<std::size_t>::max()).kind == Kind::need_more);
}

TEST_CASE("next_line agrees with a plain model on every short buffer", "[line_framer]") {
    // Every string of up to 9 bytes over {a, \r, \n}, with limits 0 to 5.
    const char alphabet[] = {'a', '\r', '\n'};
    std::string buf;
    for (std::size_t len = 0; len <= 9; ++len) {
        std::vector<int> digits(len, 0);
        while (true) {
            buf.clear();
            for (int d : digits)
                buf += alphabet[d];
            for (std::size_t max_line = 0; max_line <= 5; ++max_line) {
                const Frame want = expected_frame(buf, max_line);
                const Frame got = next_line(buf, max_line);
                INFO("buffer of " << len << " bytes, limit " << max_line);
                REQUIRE(got.kind == want.kind);
                if (want.kind == Kind::line) {
                    REQUIRE(got.line == want.line);
                    REQUIRE(got.line.data() == buf.data());
                    REQUIRE(got.consumed == want.consumed);
                }
            }
            std::size_t i = 0;
            while (i < len && ++digits[i] == 3)
                digits[i++] = 0;
            if (i == len) break;
        }
    }
}

TEST_CASE("taking lines one after another splits a stream at its newlines", "[line_framer]") {
    std::string_view stream = "put a 1 2\r\nget a\n\nget *\npartial";
    std::vector<std::string> lines;
    while (true) {
        const Frame f = next_line(stream);
        if (f.kind != Kind::line) {
            CHECK(f.kind == Kind::need_more);
            break;
        }
        lines.emplace_back(f.line);
        stream.remove_prefix(f.consumed);
    }
    CHECK(lines == std::vector<std::string>{"put a 1 2", "get a", "", "get *"});
    CHECK(stream == "partial");
}
