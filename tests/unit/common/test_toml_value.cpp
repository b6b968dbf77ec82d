#include <catch2/catch.hpp>

#include "common/config_value.hpp"
#include "common/toml_value.hpp"

using namespace beat;

TEST_CASE("config TOML with a syntax error or non-ASCII text names the file, line and column",
          "[toml_value]") {
    CHECK_THROWS_WITH(parse_config_toml("a = 1\nb = \n", "x.toml"), Catch::StartsWith("x.toml:2:"));
    CHECK_THROWS_WITH(parse_config_toml("a = 1\n# caf\xc3\xa9\n", "x.toml"),
                      Catch::StartsWith("x.toml:2:6: a non-ASCII character"));
    CHECK(parse_config_toml("a = 1\n", "x.toml")["a"].value<std::int64_t>() == 1);
}

TEST_CASE("a TOML value of the wrong type names the key, the type expected and the type given",
          "[toml_value]") {
    const toml::table t = parse_config_toml("s = \"x\"\ni = 3\nf = 0.5\nb = true\nn = nan\n", "t");
    CHECK(string_value(*t.get("s"), "s") == "x");
    CHECK(number_value(*t.get("i"), "i") == 3);
    CHECK(number_value(*t.get("f"), "f") == 0.5);
    CHECK(integer_value(*t.get("i"), "i") == 3);
    CHECK_THROWS_WITH(string_value(*t.get("i"), "i"), "i: expected a string, got an integer");
    CHECK_THROWS_WITH(number_value(*t.get("b"), "b"), "b: expected a number, got a boolean");
    CHECK_THROWS_WITH(integer_value(*t.get("f"), "f"), "f: expected a whole number, got a number");
    CHECK(duration_text(*t.get("f"), "f") == "0.5");
    CHECK(duration_text(*t.get("s"), "s") == "x");
    CHECK_THROWS_AS(duration_text(*t.get("n"), "n"), ConfigError);
}
