#include <catch2/catch.hpp>

#include "beat_client/core/config.hpp"

using namespace beat;

namespace {

// The ConfigError message for `toml`, or "" when it applies cleanly.
std::string error_for(std::string_view toml) {
    AgentConfig cfg;
    try {
        apply_config_toml(cfg, toml, "client.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("the defaults beat every 5 seconds to the local server with every collector on",
          "[config]") {
    const AgentConfig cfg;
    REQUIRE(cfg.servers.size() == 1);
    CHECK(cfg.servers[0] == Endpoint{"127.0.0.1", 43278});
    CHECK(cfg.interval_ms == 5000);
    CHECK(cfg.host.empty());
    CHECK(cfg.metrics_file.empty());
    CHECK(cfg.log_level == LogLevel::info);
    for (Collector c : kAllCollectors) {
        CHECK(cfg.collectors[c].enabled);
        CHECK(cfg.collectors[c].every == 1);
    }
}

TEST_CASE("a full config file sets every key", "[config]") {
    AgentConfig cfg;
    apply_config_toml(cfg, R"(
servers = ["10.0.0.1:43278", "beat.example.org", "[::1]:9000"]
interval = 2.5
host = "db-3"
log_level = "warn"
metrics_file = "/run/beat/metrics"
key_file = "/etc/beat/beat.key"
jitter = 0.1
resolve_interval = "5m"

[metrics]
rack = 12
"role.primary" = 1.0

[collectors.disk]
every = 12

[collectors.net]
enabled = false
)",
                      "client.toml");
    REQUIRE(cfg.servers.size() == 3);
    CHECK(cfg.servers[1] == Endpoint{"beat.example.org", 43278});
    CHECK(cfg.servers[2] == Endpoint{"::1", 9000});
    CHECK(cfg.interval_ms == 2500);
    CHECK(cfg.host == "db-3");
    CHECK(cfg.log_level == LogLevel::warn);
    CHECK(cfg.metrics_file == "/run/beat/metrics");
    CHECK(cfg.key_file == "/etc/beat/beat.key");
    CHECK(cfg.jitter == 0.1);
    CHECK(cfg.resolve_interval_ms == 300'000);
    CHECK(cfg.metrics == std::vector<Metric>{{"rack", 12}, {"role.primary", 1}});
    CHECK(cfg.collectors[Collector::disk].every == 12);
    CHECK(cfg.collectors[Collector::disk].enabled);
    CHECK_FALSE(cfg.collectors[Collector::net].enabled);
}

TEST_CASE("intervals are seconds or durations with a unit", "[config]") {
    AgentConfig cfg;
    apply_config_toml(cfg, "interval = \"250ms\"", "c");
    CHECK(cfg.interval_ms == 250);
    apply_config_toml(cfg, "interval = 10", "c");
    CHECK(cfg.interval_ms == 10'000);
    apply_config_toml(cfg, "servers = \"127.0.0.2:1\"", "c");
    CHECK(cfg.servers == std::vector<Endpoint>{{"127.0.0.2", 1}});
}

TEST_CASE("a bad value in the config file names its key", "[config]") {
    CHECK(error_for("interval = \"soon\"").starts_with("interval: "));
    CHECK(error_for("interval = 0").starts_with("interval: "));
    CHECK(error_for("interval = 100000").starts_with("interval: "));
    CHECK(error_for("interval = true").starts_with("interval: expected a number"));
    CHECK(error_for("servers = [\"host:99999\"]").starts_with("servers: "));
    CHECK(error_for("servers = []").starts_with("servers: "));
    CHECK(error_for("servers = [1]").starts_with("servers: expected a string"));
    CHECK(error_for("host = \"two words\"").starts_with("host: "));
    CHECK(error_for("log_level = \"loud\"").starts_with("log_level: "));
    CHECK(error_for("jitter = 0.9").starts_with("jitter: "));
    CHECK(error_for("resolve_interval = \"10ms\"").starts_with("resolve_interval: "));
    CHECK(error_for("metrics_file = \"\"").starts_with("metrics_file: "));
    CHECK(error_for("key_file = \"\"").starts_with("key_file: "));
    CHECK(error_for("[metrics]\nrack = \"twelve\"").starts_with("metrics.rack: "));
    CHECK(error_for("[metrics]\n\"bad name\" = 1").starts_with("metrics.bad name: "));
    CHECK(error_for("[collectors.disk]\nevery = 0").starts_with("collectors.disk.every: "));
    CHECK(error_for("[collectors.disk]\nevery = 1.5").starts_with("collectors.disk.every: "));
    CHECK(
        error_for("[collectors.disk]\nenabled = \"no\"").starts_with("collectors.disk.enabled: "));
    CHECK(error_for("[collectors.disk]\noften = 1").starts_with("collectors.disk.often: "));
    CHECK(error_for("[collectors.gpu]\nenabled = false").starts_with("collectors.gpu: "));
    CHECK(error_for("collectors = 1").starts_with("collectors: "));
}

TEST_CASE("an unknown key in the config file is an error, not silently ignored", "[config]") {
    CHECK(error_for("intervall = 5").starts_with("intervall: unknown key"));
}

TEST_CASE("a syntax error in the config file gives the file, line and column", "[config]") {
    CHECK(error_for("interval = 5\nhost = \n").starts_with("client.toml:2:"));
}

TEST_CASE("a fixed metric given twice keeps one entry with the last value", "[config]") {
    AgentConfig cfg;
    set_metric(cfg, "--metric", {"a", 1});
    set_metric(cfg, "--metric", {"b", 2});
    set_metric(cfg, "--metric", {"a", 3});
    CHECK(cfg.metrics == std::vector<Metric>{{"a", 3}, {"b", 2}});
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

TEST_CASE("plans are refused unsigned and change everything unless the config says otherwise",
          "[config]") {
    const AgentConfig defaults;
    CHECK_FALSE(defaults.accept_unsigned_plans);
    CHECK_FALSE(defaults.pins.interval);
    CHECK_FALSE(defaults.pins.collectors);
    CHECK_FALSE(defaults.pins.plugins);

    AgentConfig cfg;
    apply_config_toml(cfg,
                      "accept_unsigned_plans = true\n"
                      "pin = [\"interval\", \"collectors.disk\", \"plugins.nginx\"]\n",
                      "client.toml");
    CHECK(cfg.accept_unsigned_plans);
    CHECK(cfg.pins.interval);
    CHECK_FALSE(cfg.pins.collectors);
    CHECK(cfg.pins.collector.has(Collector::disk));
    CHECK_FALSE(cfg.pins.collector.has(Collector::cpu));
    CHECK(cfg.pins.plugin_pinned("nginx"));
    CHECK_FALSE(cfg.pins.plugin_pinned("postgres"));

    apply_config_toml(cfg, "pin = [\"collectors\", \"plugins\"]\n", "client.toml");
    CHECK(cfg.pins.collectors);
    CHECK(cfg.pins.plugins);
}

TEST_CASE("a pin names a setting a plan sets, or the config is refused", "[config]") {
    CHECK_THAT(error_for("pin = [\"jitter\"]"), Catch::Contains("pin: cannot pin \"jitter\""));
    CHECK_THAT(error_for("pin = [\"collectors.gpu\"]"),
               Catch::Contains("pin: unknown collector in \"collectors.gpu\""));
    CHECK_THAT(error_for("pin = [\"plugins.a/b\"]"), Catch::Contains("pin: cannot pin"));
    CHECK_THAT(error_for("pin = \"interval\""), Catch::Contains("pin: expected an array"));
    CHECK_THAT(error_for("accept_unsigned_plans = 1"),
               Catch::Contains("accept_unsigned_plans: expected true or false"));
}

TEST_CASE("a plugin table gives the argv, the timeout and the local period", "[config]") {
    AgentConfig cfg;
    CHECK(cfg.plugins.empty());
    apply_config_toml(cfg, R"(
[plugins.nginx]
command = ["/usr/lib/beat/plugins/nginx", "--status", "http://127.0.0.1/status"]
timeout = "2s"
every = "30s"

[plugins.postgres]
command = ["/usr/lib/beat/plugins/postgres"]
)",
                      "client.toml");
    REQUIRE(cfg.plugins.size() == 2);
    const PluginConfig& nginx = cfg.plugins[0];
    CHECK(nginx.name == "nginx");
    CHECK(nginx.command == std::vector<std::string>{"/usr/lib/beat/plugins/nginx", "--status",
                                                    "http://127.0.0.1/status"});
    CHECK(nginx.timeout_ms == 2000);
    CHECK(nginx.every_ms == 30'000);
    const PluginConfig& postgres = cfg.plugins[1];
    CHECK(postgres.name == "postgres");
    CHECK(postgres.timeout_ms == 5000);
    CHECK_FALSE(postgres.every_ms);  // Runs only when a plan names it.

    // A later file replaces a plugin of the same name rather than adding a second.
    apply_config_toml(cfg, "[plugins.nginx]\ncommand = [\"/opt/nginx-check\"]\n", "more.toml");
    REQUIRE(cfg.plugins.size() == 2);
    CHECK(cfg.plugins[0].command == std::vector<std::string>{"/opt/nginx-check"});
    CHECK_FALSE(cfg.plugins[0].every_ms);
}

TEST_CASE("a plugin without an absolute program, a valid name or a timeout in range is refused",
          "[config]") {
    CHECK_THAT(error_for("[plugins.x]\ntimeout = \"1s\""),
               Catch::Contains("plugins.x: command is required"));
    CHECK_THAT(error_for("[plugins.x]\ncommand = []"),
               Catch::Contains("plugins.x.command: expected the program's absolute path first"));
    CHECK_THAT(error_for("[plugins.x]\ncommand = [\"nginx-check\"]"),
               Catch::Contains("plugins.x.command: expected the program's absolute path first"));
    CHECK_THAT(error_for("[plugins.x]\ncommand = \"/bin/true\""),
               Catch::Contains("plugins.x.command: expected an array of strings"));
    CHECK_THAT(error_for("[plugins.x]\ncommand = [\"/bin/true\", 3]"),
               Catch::Contains("plugins.x.command: expected a string"));
    CHECK_THAT(error_for("[plugins.x]\ncommand = [\"/bin/echo\", \"a\\u0000b\"]"),
               Catch::Contains("plugins.x.command: an argument holds a NUL character"));
    CHECK_THAT(error_for("[plugins.x]\ncommand = [\"/bin/true\"]\ntimeout = \"50ms\""),
               Catch::Contains("plugins.x.timeout:"));
    CHECK_THAT(error_for("[plugins.x]\ncommand = [\"/bin/true\"]\ntimeout = \"2h\""),
               Catch::Contains("plugins.x.timeout:"));
    CHECK(error_for("[plugins.x]\ncommand = [\"/bin/true\"]\ntimeout = \"1h\"").empty());
    CHECK(error_for("[plugins.x]\ncommand = [\"/bin/true\"]\ntimeout = 0.1").empty());
    CHECK_THAT(error_for("[plugins.x]\ncommand = [\"/bin/true\"]\nevery = \"2d\""),
               Catch::Contains("plugins.x.every:"));
    CHECK_THAT(error_for("[plugins.x]\ncommand = [\"/bin/true\"]\nshell = true"),
               Catch::Contains("plugins.x.shell: unknown key (known: command, timeout, every)"));
    CHECK_THAT(error_for("[plugins.\"a.b\"]\ncommand = [\"/bin/true\"]"),
               Catch::Contains("plugins.a.b: invalid plugin name"));
    CHECK_THAT(error_for("[plugins]\nx = 1"), Catch::Contains("plugins.x: expected a table"));
    CHECK_THAT(error_for("plugins = 1"), Catch::Contains("plugins: expected a table"));
}

TEST_CASE("at most 32 plugins are configured", "[config]") {
    std::string toml;
    for (std::size_t i = 0; i < kMaxPlugins; ++i)
        toml += "[plugins.p" + std::to_string(100 + i) + "]\ncommand = [\"/bin/true\"]\n";
    AgentConfig cfg;
    apply_config_toml(cfg, toml, "client.toml");
    CHECK(cfg.plugins.size() == kMaxPlugins);
    CHECK_THAT(error_for(toml + "[plugins.p999]\ncommand = [\"/bin/true\"]\n"),
               Catch::Contains("plugins.p999: at most 32 plugins"));
}
