#include <catch2/catch.hpp>

#include "beat_client/core/config.hpp"
#include "beat_client/core/toml_guard.hpp"

using namespace beat;

namespace {

std::string where(std::string_view text) {
    const auto at = non_ascii_outside_strings(text);
    return at ? std::to_string(at->line) + ":" + std::to_string(at->column) : "none";
}

}  // namespace

TEST_CASE("non-ASCII is allowed in strings and comments only", "[toml_guard]") {
    CHECK(where("host = \"caf\xc3\xa9\"\n") == "none");
    CHECK(where("host = 'caf\xc3\xa9'\n") == "none");
    CHECK(where("# caf\xc3\xa9\nhost = \"x\"\n") == "none");
    CHECK(where("host = \"\"\"\ncaf\xc3\xa9\n\"\"\"\n") == "none");
    CHECK(where("host = '''\ncaf\xc3\xa9\n'''\n") == "none");
    CHECK(where("\"caf\xc3\xa9\" = 1\n") == "none");  // A quoted key.
    CHECK(where("\xc3\xa9 = 1\n") == "1:1");
    CHECK(where("a = 1\xc3\xa9\n") == "1:6");
    CHECK(where("[metrics]\ntemp\xc2\xb0\x43 = 1\n") == "2:5");
}

TEST_CASE("strings end where TOML ends them", "[toml_guard]") {
    // An escaped quote does not end a basic string; in a literal string a backslash is text.
    CHECK(where("a = \"x\\\"\xc3\xa9\"\n") == "none");
    CHECK(where("a = 'x\\' \xc3\xa9\n") == "1:10");
    // A single-line string or comment ends with its line, terminated or not.
    CHECK(where("a = \"open\n\xc3\xa9 = 1\n") == "2:1");
    CHECK(where("# note\n\xc3\xa9\n") == "2:1");
    // A multi-line string spans lines until its closing delimiter.
    CHECK(where("a = \"\"\"x\n\"\"\" \xc3\xa9\n") == "2:5");
}

TEST_CASE("the agent's config refuses non-ASCII outside strings with its position",
          "[toml_guard][config]") {
    AgentConfig cfg;
    CHECK_THROWS_WITH(apply_config_toml(cfg, "\xc3\xa9 = 1\n", "agent.toml"),
                      "agent.toml:1:1: a non-ASCII character outside a string or comment");
    CHECK_NOTHROW(apply_config_toml(cfg, "# d\xc3\xa9j\xc3\xa0 vu\nhost = \"web-1\"\n", "x"));
    CHECK(cfg.host == "web-1");
}
