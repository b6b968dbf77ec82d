#include <catch2/catch.hpp>

#include "common/toml_guard.hpp"

using namespace beat;

namespace {

std::string where(std::string_view text) {
    const auto at = first_non_ascii(text);
    return at ? std::to_string(at->line) + ":" + std::to_string(at->column) : "none";
}

}  // namespace

TEST_CASE("the first non-ASCII byte is found with its line and column", "[toml_guard]") {
    CHECK(where("host = \"web-1\"\n# plain\n") == "none");
    CHECK(where("\xc3\xa9 = 1\n") == "1:1");
    CHECK(where("a = 1\xc3\xa9\n") == "1:6");
    CHECK(where("[metrics]\ntemp\xc2\xb0\x43 = 1\n") == "2:5");
    CHECK(where("host = \"caf\xc3\xa9\"\n") == "1:12");  // Strings too: see the header.
}
