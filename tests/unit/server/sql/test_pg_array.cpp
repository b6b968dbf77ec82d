#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "beat_server/core/sql/pg_array.hpp"

using namespace beat;

TEST_CASE("a text array quotes every element and escapes quotes and backslashes", "[pg_array]") {
    const std::vector<std::string> v{"cpu", "a\"b", "c\\d", "", "x,y{z}"};
    CHECK(text_array(v) == R"({"cpu","a\"b","c\\d","","x,y{z}"})");
    CHECK(text_array({}) == "{}");
}

TEST_CASE("an integer array lists the numbers with their signs", "[pg_array]") {
    const std::vector<std::int64_t> v{1, -2, std::numeric_limits<std::int64_t>::min()};
    CHECK(int_array(v) == "{1,-2,-9223372036854775808}");
}

TEST_CASE("a float8 array writes every double so that it reads back the same", "[pg_array]") {
    const std::vector<double> v{0.1,
                                -1e300,
                                5e-324,
                                std::nan(""),
                                std::numeric_limits<double>::infinity(),
                                -std::numeric_limits<double>::infinity()};
    CHECK(float8_array(v) == "{0.1,-1e+300,5e-324,NaN,Infinity,-Infinity}");
}
