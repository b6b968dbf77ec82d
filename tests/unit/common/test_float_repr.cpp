#include <catch2/catch.hpp>

#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/float_repr.hpp"

using namespace beat;

namespace {

struct Expected {
    double value;
    const char* repr;  // What Python 3's repr(value) prints.
};

struct ExpectedBits {
    std::uint64_t bits;
    const char* repr;  // What Python 3's repr() prints for the double with these bits.
};

bool same_bits(double a, double b) {
    return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

}  // namespace

TEST_CASE("float_repr writes what Python's repr writes", "[float_repr]") {
    const std::vector<Expected> cases = {
        {10.0, "10.0"},
        {0.1, "0.1"},
        {1.0 / 3, "0.3333333333333333"},
        {2.0 / 3, "0.6666666666666666"},
        {1e16, "1e+16"},
        {1e15, "1000000000000000.0"},
        {9999999999999998.0, "9999999999999998.0"},
        {1e-5, "1e-05"},
        {1e-4, "0.0001"},
        {0.00012345, "0.00012345"},
        {123456789012345678.0, "1.2345678901234568e+17"},
        {5e-324, "5e-324"},
        {2.2250738585072014e-308, "2.2250738585072014e-308"},
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {-0.0, "-0.0"},
        {0.0, "0.0"},
        {1e22, "1e+22"},
        {1e23, "1e+23"},
        {0.25, "0.25"},
        {-1.5, "-1.5"},
        {100.0, "100.0"},
        {1234567.0, "1234567.0"},
        {1e100, "1e+100"},
        {1.5e-05, "1.5e-05"},
        {-1e-07, "-1e-07"},
        {123.456, "123.456"},
        {3.141592653589793, "3.141592653589793"},
        {9007199254740992.0, "9007199254740992.0"},
        {9007199254740994.0, "9007199254740994.0"},
        {0.1 + 0.2, "0.30000000000000004"},
        {1e-310, "1e-310"},
        {12345678901234567890.0, "1.2345678901234567e+19"},
        {1.0, "1.0"},
        {-2.5e300, "-2.5e+300"},
        {4.35, "4.35"},
        {999999999999999.9, "999999999999999.9"},
        {0.001, "0.001"},
        {2.5e-5, "2.5e-05"},
        {1700000000.0, "1700000000.0"},
        {-123456.789, "-123456.789"},
        {1e21, "1e+21"},
        {1.0 / 1024, "0.0009765625"},
        {0.0001 * 9.99, "0.000999"},
        {65536.0 * 65536.0 * 65536.0 * 65536.0, "1.8446744073709552e+19"},
        {123456789.0, "123456789.0"},
        {0.000123, "0.000123"},
        {-99.5, "-99.5"},
        {5e-05, "5e-05"},
        {1e+16 + 2, "1.0000000000000002e+16"},
        {1e-4 - 1e-20, "9.999999999999999e-05"},
    };
    for (const Expected& c : cases) {
        INFO("expected " << c.repr);
        CHECK(float_repr(c.value) == c.repr);
    }
}

TEST_CASE("float_repr agrees with Python's repr on arbitrary bit patterns", "[float_repr]") {
    // Random finite bit patterns, the extreme subnormals and normals, and neighbours of 1.
    const std::vector<ExpectedBits> cases = {
        {0xeb6a0f26b5f08742ULL, "-2.677243194864093e+209"},
        {0x649ad683648afb8dULL, "4.248217002923092e+176"},
        {0x89a05df7a6c31a06ULL, "-2.5988694428828053e-262"},
        {0x55e34cf74e75299cULL, "5.533251355713681e+105"},
        {0x728469587ced1389ULL, "4.355335031558204e+243"},
        {0x708d3ebfb9f53415ULL, "1.4529141460331278e+234"},
        {0xecf83bfda37175bfULL, "-8.354261660026886e+216"},
        {0x66d350fdf76fb40cULL, "2.1011785244471816e+187"},
        {0x991024a2e4620398ULL, "-5.797088558447635e-188"},
        {0x9cb08dbca08571d9ULL, "-1.7133909940387977e-170"},
        {0x97d8f27d68a24dfaULL, "-8.543681775874778e-194"},
        {0x860d55c027605264ULL, "-1.6160678325620968e-279"},
        {0x2501088b14af66f5ULL, "1.9197846844966387e-130"},
        {0x9478dff2a32e7765ULL, "-4.728926508535051e-210"},
        {0xdd300c880272d1cfULL, "-7.64477347746385e+140"},
        {0xdcc4b09a972430e6ULL, "-7.69955359810003e+138"},
        {0x187e0212ef68896eULL, "1.0523525960959698e-190"},
        {0x98fc97bb8e6aaf90ULL, "-2.5669533498662693e-188"},
        {0x31520f42cc81e17bULL, "4.088551494847372e-71"},
        {0x1ba154adc4a4c233ULL, "1.3685811624094074e-175"},
        {0x910244e290282e2dULL, "-9.639843885320089e-227"},
        {0x8553d0d64ad6c916ULL, "-5.330341498778672e-283"},
        {0x98d059f3fa5e5a6bULL, "-3.669924402218517e-189"},
        {0x7b38c7bbfa46d783ULL, "3.6848594330684416e+285"},
        {0xfa07047c1b69fb97ULL, "-6.528365999901155e+279"},
        {0x888824a4b0a49369ULL, "-1.4624047184129326e-267"},
        {0x1edaf3a39a0646cbULL, "4.7925728465184665e-160"},
        {0x5ecf165d41a98410ULL, "4.968802432777764e+148"},
        {0xfe335d44038d669cULL, "-8.105091618921986e+299"},
        {0xa4f92c191e798e58ULL, "-1.4185481110691394e-130"},
        {0x788b6a0fd820cbd3ULL, "4.634504645632019e+272"},
        {0x72eb1cf8922ee2a3ULL, "3.7025995741354323e+245"},
        {0x7fbfc87d6e95efa7ULL, "2.23188967262647e+307"},
        {0x9739f2032b0d8cbeULL, "-8.677258981023504e-197"},
        {0x3a1b09f309f30dabULL, "8.531961322435743e-29"},
        {0xf169c7c9cce4d952ULL, "-2.0984403382723063e+238"},
        {0xd0e529370cefb631ULL, "-5.0181651796944635e+81"},
        {0xc6dd6656fede52cdULL, "-2.385192299640996e+33"},
        {0xfe31d2b06484cfa7ULL, "-7.459961809731763e+299"},
        {0xe2fc89ad48d2eea2ULL, "-6.731286640628294e+168"},
        {0x0000000000000001ULL, "5e-324"},
        {0x0000000000000002ULL, "1e-323"},
        {0x000fffffffffffffULL, "2.225073858507201e-308"},
        {0x0010000000000000ULL, "2.2250738585072014e-308"},
        {0x7fefffffffffffffULL, "1.7976931348623157e+308"},
        {0x8000000000000001ULL, "-5e-324"},
        {0x3ff0000000000001ULL, "1.0000000000000002"},
        {0x3fefffffffffffffULL, "0.9999999999999999"},
    };
    for (const ExpectedBits& c : cases) {
        INFO("expected " << c.repr);
        CHECK(float_repr(std::bit_cast<double>(c.bits)) == c.repr);
    }
}

TEST_CASE("float_repr writes nan and infinities the way Python does", "[float_repr]") {
    CHECK(float_repr(std::numeric_limits<double>::quiet_NaN()) == "nan");
    CHECK(float_repr(-std::numeric_limits<double>::quiet_NaN()) == "nan");
    CHECK(float_repr(std::numeric_limits<double>::infinity()) == "inf");
    CHECK(float_repr(-std::numeric_limits<double>::infinity()) == "-inf");
}

TEST_CASE("append_float_repr appends to what is already there", "[float_repr]") {
    std::string s = "cpu ";
    append_float_repr(s, 10);
    append_float_repr(s, 0.5);
    CHECK(s == "cpu 10.00.5");
}

TEST_CASE("float_repr switches to exponent form outside 1e-4 <= |v| < 1e16", "[float_repr]") {
    CHECK(float_repr(0.0001) == "0.0001");
    CHECK(float_repr(0.00009999999999999999) == "9.999999999999999e-05");
    CHECK(float_repr(9999999999999998.0) == "9999999999999998.0");
    CHECK(float_repr(1e16) == "1e+16");
    CHECK(float_repr(-1e16) == "-1e+16");
    CHECK(float_repr(1.5e300) == "1.5e+300");
    CHECK(float_repr(1e-100) == "1e-100");
}

TEST_CASE("float_repr reads back to the same double for random bit patterns", "[float_repr]") {
    std::mt19937_64 rng(0x5eed);
    for (int i = 0; i < 200'000; ++i) {
        const double v = std::bit_cast<double>(rng());
        if (!std::isfinite(v)) continue;
        const std::string text = float_repr(v);
        const auto back = parse_finite_double(text);
        INFO(text);
        REQUIRE(back);
        REQUIRE(same_bits(*back, v));
        // Python's repr always shows a point or an exponent, so the text never reads as an integer.
        REQUIRE(text.find_first_of(".e") != std::string::npos);
    }
}

TEST_CASE("parse_finite_double reads plain decimal numbers", "[float_repr]") {
    const std::vector<std::pair<const char*, double>> cases = {
        {"10", 10.0},
        {"-1.5", -1.5},
        {"1e3", 1000.0},
        {"1E3", 1000.0},
        {"1e+3", 1000.0},
        {"1e-3", 0.001},
        {".5", 0.5},
        {"-.5", -0.5},
        {"+2.", 2.0},
        {"5.", 5.0},
        {"+1.5", 1.5},
        {"0", 0.0},
        {"00010", 10.0},
        {"0.1", 0.1},
        {"1e0", 1.0},
        {"1e-05", 1e-5},
        {"1e+16", 1e16},
        {"5e-324", 5e-324},
        {"3e-324", 5e-324},
        {"1.7976931348623157e308", 1.7976931348623157e308},
        {"123456789012345678901234567890", 1.2345678901234568e29},
        {"0.30000000000000004", 0.30000000000000004},
    };
    for (const auto& [text, value] : cases) {
        INFO(text);
        const auto v = parse_finite_double(text);
        REQUIRE(v);
        CHECK(same_bits(*v, value));
    }
    CHECK(same_bits(*parse_finite_double("-0"), -0.0));
    CHECK(same_bits(*parse_finite_double("-0.0"), -0.0));
}

TEST_CASE("parse_finite_double reads numbers below the smallest double as zero", "[float_repr]") {
    // Python's float() does the same; from_chars alone reports them as out of range.
    for (const char* text : {"1e-400", "2e-324", "0.00000000000000000001e-310",
                             "1e-99999999999999999999", "123e-500", "0.0e-400"}) {
        INFO(text);
        const auto v = parse_finite_double(text);
        REQUIRE(v);
        CHECK(same_bits(*v, 0.0));
    }
    CHECK(same_bits(*parse_finite_double("-1e-400"), -0.0));
}

TEST_CASE("parse_finite_double rejects everything that is not a finite decimal number",
          "[float_repr]") {
    const std::vector<std::string> bad = {
        "",
        " ",
        " 1",
        "1 ",
        "\t1",
        "1\n",
        "1\r",
        std::string("1\0", 2),
        "nan",
        "NaN",
        "-nan",
        "inf",
        "-inf",
        "+inf",
        "Infinity",
        "infinity",
        "1e400",
        "-1e400",
        "1.8e308",
        "1e99999999999999999999",
        "1797693134862315807937289714053034150799341327710"
        "3410501731779733248637409374669219883614262700000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000000000000000000000"
        "00000000000000000000000000000000000000000000000000000000000000000000000000",
        "0x10",
        "0x1p3",
        "1e",
        "1e+",
        "e3",
        ".",
        "-",
        "+",
        "+-1",
        "-+1",
        "--1",
        "++1",
        "1.2.3",
        "1,5",
        "1_000",
        "1e3.5",
        "abc",
        "1a",
        "\xd9\xa1",
        "- 1",
        "1 000",
        "1e 3"};
    for (const std::string& text : bad) {
        INFO("'" << text << "'");
        CHECK_FALSE(parse_finite_double(text));
    }
}

TEST_CASE("parse_finite_double accepts exactly the finite numbers strtod reads whole",
          "[float_repr]") {
    // Over an alphabet without letters other than the exponent marker and without spaces, strtod
    // reads only decimal numbers, so the two must agree on every string: exhaustively up to four
    // characters, then on random longer ones.
    static constexpr std::string_view kAlphabet = "0123456789.eE+-";
    auto agree = [](const std::string& text) {
        errno = 0;
        char* end = nullptr;
        const double expected = std::strtod(text.c_str(), &end);
        const bool whole = !text.empty() && end == text.c_str() + text.size();
        const auto got = parse_finite_double(text);
        INFO("'" << text << "'");
        REQUIRE(got.has_value() == (whole && std::isfinite(expected)));
        if (got) REQUIRE(same_bits(*got, expected));
    };
    std::string text;
    for (std::size_t len = 1; len <= 4; ++len) {
        std::vector<std::size_t> digits(len, 0);
        while (true) {
            text.clear();
            for (std::size_t d : digits)
                text += kAlphabet[d];
            agree(text);
            std::size_t i = 0;
            while (i < len && ++digits[i] == kAlphabet.size())
                digits[i++] = 0;
            if (i == len) break;
        }
    }
    std::mt19937_64 rng(42);
    for (int n = 0; n < 100'000; ++n) {
        text.clear();
        const std::size_t len = 5 + rng() % 20;
        for (std::size_t i = 0; i < len; ++i) {
            // Mostly digits, so that many of the longer strings are numbers.
            text += rng() % 4 != 0 ? kAlphabet[rng() % 10] : kAlphabet[rng() % kAlphabet.size()];
        }
        agree(text);
    }
}
