#include <catch2/catch.hpp>

#include <variant>

#include "beat_server/core/config/server_config.hpp"
#include "tests/unit/server/config/parse_args.hpp"

using namespace beat;
using beat::test::parse;

TEST_CASE("defaults match the documented ones", "[config]") {
    const auto r = parse({});
    REQUIRE(std::holds_alternative<ServerConfig>(r));
    const auto& c = std::get<ServerConfig>(r);
    CHECK(c.udp == Endpoint{"0.0.0.0", 43278});
    CHECK(c.tcp == Endpoint{"127.0.0.1", 8888});
    CHECK_FALSE(c.timeout_ms);
    CHECK(c.report_interval_ms == 20'000);
    CHECK(c.forget_after_ms == 86'400'000);
    CHECK(c.log_level == LogLevel::info);
}

TEST_CASE("durations accept decimals and ports may be 0", "[config]") {
    const auto r =
        parse({"--udp", "127.0.0.1:0", "--tcp", "[::1]:0", "--timeout", "0.5", "--report-interval",
               "2.5", "--forget-after", "3600", "--log-level", "debug"});
    REQUIRE(std::holds_alternative<ServerConfig>(r));
    const auto& c = std::get<ServerConfig>(r);
    CHECK(c.udp.port == 0);
    CHECK(c.tcp == Endpoint{"::1", 0});
    CHECK(c.timeout_ms == 500);
    CHECK(c.report_interval_ms == 2500);
    CHECK(c.forget_after_ms == 3'600'000);
    CHECK(c.log_level == LogLevel::debug);
}

TEST_CASE("bad usage gives exit code 2", "[config]") {
    CHECK(std::get<int>(parse({"--timeout", "soon"})) == 2);
    CHECK(std::get<int>(parse({"--timeout", "-1"})) == 2);
    CHECK(std::get<int>(parse({"--udp", "nonsense"})) == 2);
    CHECK(std::get<int>(parse({"--tcp", "127.0.0.1:70000"})) == 2);
    CHECK(std::get<int>(parse({"--log-level", "loud"})) == 2);
    CHECK(std::get<int>(parse({"--bogus"})) == 2);
    CHECK(std::get<int>(parse({"extra"})) == 2);
}

TEST_CASE("help and version options exit 0", "[config]") {
    CHECK(std::get<int>(parse({"--help"})) == 0);
    CHECK(std::get<int>(parse({"--version"})) == 0);
}

TEST_CASE("storage and retention options have their documented defaults and ranges", "[config]") {
    auto r = parse({});
    REQUIRE(std::holds_alternative<ServerConfig>(r));
    auto c = std::get<ServerConfig>(r);
    CHECK(c.data_dir == "./beat-data");
    CHECK(c.durability == Durability::batch);
    CHECK(c.persistent());
    CHECK(c.limits.retention_s == 7 * 86'400);
    CHECK(c.limits.max_points_per_key == 100'000);
    CHECK(c.limits.max_keys == 1'000'000);

    r = parse({"--data-dir", "/tmp/x", "--durability", "sync", "--retention", "36h",
               "--max-points-per-key", "10", "--max-keys", "5"});
    REQUIRE(std::holds_alternative<ServerConfig>(r));
    c = std::get<ServerConfig>(r);
    CHECK(c.data_dir == "/tmp/x");
    CHECK(c.durability == Durability::sync);
    CHECK(c.limits.retention_s == 36 * 3600);
    CHECK(c.limits.max_points_per_key == 10);
    CHECK(c.limits.max_keys == 5);

    r = parse({"--data-dir", ""});
    CHECK_FALSE(std::get<ServerConfig>(r).persistent());
    r = parse({"--durability", "off"});
    CHECK_FALSE(std::get<ServerConfig>(r).persistent());
    CHECK(std::get<int>(parse({"--durability", "later"})) == 2);
    CHECK(std::get<int>(parse({"--retention", "0.5"})) == 2);
    CHECK(std::get<int>(parse({"--max-keys", "0"})) == 2);
}

TEST_CASE("the HTTP port and log format options have their documented defaults and ranges",
          "[config]") {
    const auto d = parse({});
    REQUIRE(std::holds_alternative<ServerConfig>(d));
    const auto& c = std::get<ServerConfig>(d);
    REQUIRE(c.http);
    CHECK(*c.http == Endpoint{"127.0.0.1", 43279});
    CHECK(c.http_idle_timeout_ms == 60'000);
    CHECK(c.log_format == LogFormat::text);

    const auto off = parse({"--http", "off", "--log-format", "json", "--http-idle-timeout", "0.5"});
    REQUIRE(std::holds_alternative<ServerConfig>(off));
    CHECK_FALSE(std::get<ServerConfig>(off).http);
    CHECK(std::get<ServerConfig>(off).log_format == LogFormat::json);
    CHECK(std::get<ServerConfig>(off).http_idle_timeout_ms == 500);

    const auto v6 = parse({"--http", "[::1]:0"});
    REQUIRE(std::holds_alternative<ServerConfig>(v6));
    CHECK(*std::get<ServerConfig>(v6).http == Endpoint{"::1", 0});

    CHECK(std::get<int>(parse({"--http", "nowhere"})) == 2);
    CHECK(std::get<int>(parse({"--http", "127.0.0.1:70000"})) == 2);
    CHECK(std::get<int>(parse({"--http-idle-timeout", "0.01"})) == 2);
    CHECK(std::get<int>(parse({"--log-format", "xml"})) == 2);
}
