#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "beat_server/core/pages/json_text.hpp"

using namespace beat;
using nlohmann::json;

namespace {

std::string json_string(std::string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}

std::string json_number(double v) {
    std::string out;
    append_json_number(out, v);
    return out;
}

std::string dumped(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

TEST_CASE("strings are escaped as nlohmann json dumps them", "[json_text]") {
    const std::string control = [] {
        std::string s;
        for (int c = 0; c < 0x20; ++c)
            s += static_cast<char>(c);
        return s + "\x7f";
    }();
    for (const std::string& text :
         {std::string("web1"), std::string(""), std::string("a\"b\\c"), std::string("<tag>&'"),
          control, std::string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d"),
          std::string("line\r\nfeed\ttab\bback\fform"), std::string("nul\0byte", 8)}) {
        CAPTURE(text);
        CHECK(json_string(text) == dumped(json(text)));
        CHECK(json::parse(json_string(text)) == json(text));
    }
}

TEST_CASE("invalid UTF-8 becomes U+FFFD for each non-ASCII byte and stays valid JSON",
          "[json_text]") {
    const std::string text = "a\xff\"b\xc3\xa9\xe2\x82";  // A stray byte, then a cut sequence.
    const std::string out = json_string(text);
    CHECK(out == "\"a\xEF\xBF\xBD\\\"b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
    CHECK(json::parse(out) ==
          json("a\xEF\xBF\xBD\"b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"));
}

TEST_CASE("numbers have nlohmann json's digits and non-finite ones are null", "[json_text]") {
    for (const double v :
         {0.0, -0.0, 1.0, 0.5, 100.0, 1e21, 1e-7, 1.7e9, 123456.789, -3.25, 0.1 + 0.2,
          std::numeric_limits<double>::max(), std::numeric_limits<double>::denorm_min()}) {
        CAPTURE(v);
        CHECK(json_number(v) == dumped(json(v)));
    }
    CHECK(json_number(std::nan("")) == "null");
    CHECK(json_number(std::numeric_limits<double>::infinity()) == "null");
    CHECK(json_number(-std::numeric_limits<double>::infinity()) == "null");
    std::string out;
    append_json_number(out, std::numeric_limits<std::uint64_t>::max());
    CHECK(out == "18446744073709551615");
}
