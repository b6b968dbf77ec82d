#include <catch2/catch.hpp>

#include "common/utc_time.hpp"

using namespace beat;

TEST_CASE("a Unix time in milliseconds reads as RFC 3339 UTC with milliseconds", "[utc_time]") {
    CHECK(format_utc_ms(0) == "1970-01-01T00:00:00.000Z");
    CHECK(format_utc_ms(1'700'000'000'123) == "2023-11-14T22:13:20.123Z");
    CHECK(format_utc_ms(1'709'251'199'999) == "2024-02-29T23:59:59.999Z");  // A leap day.
    CHECK(format_utc_ms(1'709'251'200'000) == "2024-03-01T00:00:00.000Z");
    CHECK(format_utc_ms(7) == "1970-01-01T00:00:00.007Z");
}

TEST_CASE("a time before 1970 falls in the day and second that hold it", "[utc_time]") {
    CHECK(format_utc_ms(-1) == "1969-12-31T23:59:59.999Z");
    CHECK(format_utc_ms(-1000) == "1969-12-31T23:59:59.000Z");
    CHECK(format_utc_ms(-86'400'001) == "1969-12-30T23:59:59.999Z");
}

TEST_CASE("years 0000 to 9999 are written as dates and others as milliseconds", "[utc_time]") {
    CHECK(format_utc_ms(-62'167'219'200'000) == "0000-01-01T00:00:00.000Z");
    CHECK(format_utc_ms(-62'167'219'200'001) == "-62167219200001ms");
    CHECK(format_utc_ms(-59'011'459'200'000) == "0100-01-01T00:00:00.000Z");
    CHECK(format_utc_ms(253'402'300'799'999) == "9999-12-31T23:59:59.999Z");
    CHECK(format_utc_ms(253'402'300'800'000) == "253402300800000ms");
    CHECK(format_utc_ms(INT64_MAX) == "9223372036854775807ms");
    CHECK(format_utc_ms(INT64_MIN) == "-9223372036854775808ms");
}
