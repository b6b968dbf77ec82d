#include <catch2/catch.hpp>

#include "beat_client/core/config.hpp"
#include "beat_client/core/toml_guard.hpp"

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

TEST_CASE("the agent's config refuses non-ASCII text before toml++ sees it, and takes escapes",
          "[toml_guard][config]") {
    AgentConfig cfg;
    CHECK_THROWS_WITH(apply_config_toml(cfg, "\xc3\xa9 = 1\n", "agent.toml"),
                      Catch::StartsWith("agent.toml:1:1: a non-ASCII character"));
    // What the fuzzer found: toml++ tests U+FD7F for whitespace inside a malformed array.
    CHECK_THROWS_AS(
        apply_config_toml(cfg, "servers = [1\"Z0.0.0.14r.e\xef\xb5\xbfple.org\"]\n", "x"),
        ConfigError);
    apply_config_toml(cfg, "host = \"caf\\u00e9\"\n", "x");
    CHECK(cfg.host == "caf\xc3\xa9");
}
