#include <catch2/catch.hpp>

#include "beat_client/core/text_fields.hpp"

using namespace beat;

TEST_CASE("lines are split off one by one, the last one with or without a newline", "[fields]") {
    std::string_view rest = "a b\n\nc";
    CHECK(next_line(rest) == "a b");
    CHECK(next_line(rest) == "");
    CHECK(next_line(rest) == "c");
    CHECK(rest.empty());
    CHECK(next_line(rest) == "");
}

TEST_CASE("fields are separated by runs of spaces and tabs", "[fields]") {
    std::string_view rest = "  cpu\t 12  34 ";
    CHECK(next_field(rest) == "cpu");
    CHECK(next_field(rest) == "12");
    CHECK(next_field(rest) == "34");
    CHECK(next_field(rest) == "");
    CHECK(next_field(rest) == "");
}
