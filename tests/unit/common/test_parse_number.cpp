#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "common/parse_number.hpp"

using namespace beat;

namespace {

// Text that no parser reads: blanks, other bases, fractions, separators and stray bytes.
const std::vector<std::string> kNeverNumbers = {"",
                                                " 1",
                                                "1 ",
                                                "1\t",
                                                "1.5",
                                                "1.0",
                                                "1e3",
                                                "abc",
                                                "1a",
                                                "12kB",
                                                "0x10",
                                                "1_000",
                                                "1,5",
                                                "- 1",
                                                "++1",
                                                "+-1",
                                                "-+1",
                                                "--1",
                                                std::string("1\0", 2),
                                                "1\r",
                                                "\xd9\xa1"};

}  // namespace

TEST_CASE("parse_u64 reads whole fields of decimal digits that fit 64 bits", "[parse_number]") {
    CHECK(parse_u64("0") == 0u);
    CHECK(parse_u64("007") == 7u);
    CHECK(parse_u64("1700000000") == 1'700'000'000u);
    CHECK(parse_u64("18446744073709551615") == std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("parse_u64 refuses a sign, overflow and anything but digits", "[parse_number]") {
    std::vector<std::string> bad = kNeverNumbers;
    bad.insert(bad.end(),
               {"+", "-", "-0", "-1", "+1", "18446744073709551616", "99999999999999999999999"});
    for (const std::string& text : bad) {
        INFO("'" << text << "'");
        CHECK_FALSE(parse_u64(text));
    }
}

TEST_CASE("parse_i64 reads digits after an optional minus, and a plus only when accepted",
          "[parse_number]") {
    for (const PlusSign plus : {PlusSign::refused, PlusSign::accepted}) {
        CHECK(parse_i64("0", plus) == 0);
        CHECK(parse_i64("-0", plus) == 0);
        CHECK(parse_i64("-5", plus) == -5);
        CHECK(parse_i64("007", plus) == 7);
        CHECK(parse_i64("1700000000", plus) == 1'700'000'000);
        CHECK(parse_i64("9223372036854775807", plus) == std::numeric_limits<std::int64_t>::max());
        CHECK(parse_i64("-9223372036854775808", plus) == std::numeric_limits<std::int64_t>::min());
    }
    CHECK(parse_i64("+5", PlusSign::accepted) == 5);
    CHECK(parse_i64("+0", PlusSign::accepted) == 0);
    CHECK_FALSE(parse_i64("+5", PlusSign::refused));
}

TEST_CASE("parse_i64 refuses a lone or second sign, overflow and anything but digits",
          "[parse_number]") {
    std::vector<std::string> bad = kNeverNumbers;
    bad.insert(bad.end(), {"+", "-", "9223372036854775808", "-9223372036854775809",
                           "99999999999999999999999"});
    for (const PlusSign plus : {PlusSign::refused, PlusSign::accepted}) {
        for (const std::string& text : bad) {
            INFO("'" << text << "'");
            CHECK_FALSE(parse_i64(text, plus));
        }
    }
}
