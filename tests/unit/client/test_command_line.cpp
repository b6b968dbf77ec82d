#include <catch2/catch.hpp>

#include "beat_client/core/command_line.hpp"

using namespace beat;

namespace {

CommandLine parse(std::vector<const char*> args) {
    args.insert(args.begin(), "beat_client");
    return parse_command_line(static_cast<int>(args.size()), args.data());
}

// The configuration that `args` produce over the defaults.
AgentConfig config_for(std::vector<const char*> args) {
    AgentConfig cfg;
    apply_flags(parse(std::move(args)), cfg);
    return cfg;
}

std::string flag_error(std::vector<const char*> args) {
    try {
        config_for(std::move(args));
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("with no arguments the agent runs with the defaults", "[command_line]") {
    const CommandLine cl = parse({});
    CHECK(cl.mode == CommandLine::Mode::run);
    CHECK(cl.config_path.empty());
    CHECK(config_for({}).servers == AgentConfig{}.servers);
}

TEST_CASE("run takes repeated servers, an interval with decimals, metrics and a host",
          "[command_line]") {
    const AgentConfig cfg =
        config_for({"run", "--server", "127.0.0.1:1", "--server", "localhost:2", "--interval",
                    "0.5", "--host", "n1", "--metric", "a=1", "--metric", "b=2.5", "--metrics-file",
                    "/tmp/m", "--log-level", "debug"});
    CHECK(cfg.servers == std::vector<Endpoint>{{"127.0.0.1", 1}, {"localhost", 2}});
    CHECK(cfg.interval_ms == 500);
    CHECK(cfg.host == "n1");
    CHECK(cfg.metrics == std::vector<Metric>{{"a", 1}, {"b", 2.5}});
    CHECK(cfg.metrics_file == "/tmp/m");
    CHECK(cfg.log_level == LogLevel::debug);
}

TEST_CASE("options work before and after the subcommand", "[command_line]") {
    CHECK(config_for({"--interval", "2", "run"}).interval_ms == 2000);
    CHECK(config_for({"run", "--interval", "3"}).interval_ms == 3000);
    CHECK(config_for({"--interval", "4"}).interval_ms == 4000);
}

TEST_CASE("collectors are disabled by a comma-separated list", "[command_line]") {
    const AgentConfig cfg = config_for({"--disable", "cpu,disk", "--disable", "net"});
    CHECK_FALSE(cfg.collectors[Collector::cpu].enabled);
    CHECK_FALSE(cfg.collectors[Collector::disk].enabled);
    CHECK_FALSE(cfg.collectors[Collector::net].enabled);
    CHECK(cfg.collectors[Collector::mem].enabled);
}

TEST_CASE("once takes --print and --dry-run", "[command_line]") {
    const CommandLine cl = parse({"once", "--print", "--dry-run", "--host", "x"});
    CHECK(cl.mode == CommandLine::Mode::once);
    CHECK(cl.print);
    CHECK(cl.dry_run);
    CHECK(cl.host == "x");
}

TEST_CASE("help and version are answered with their text", "[command_line]") {
    const CommandLine help = parse({"--help"});
    CHECK(help.mode == CommandLine::Mode::help);
    CHECK(help.output.find("--server") != std::string::npos);
    CHECK(help.output.find("once") != std::string::npos);
    const CommandLine version = parse({"--version"});
    CHECK(version.mode == CommandLine::Mode::version);
    CHECK(version.output == std::string("beat_client ") + BEAT_VERSION + "\n");
}

TEST_CASE("an unknown flag, subcommand or missing value is a usage error", "[command_line]") {
    CHECK_THROWS_AS(parse({"--bogus"}), UsageError);
    CHECK_THROWS_AS(parse({"--interval"}), UsageError);
    CHECK_THROWS_AS(parse({"run", "extra"}), UsageError);
    CHECK_THROWS_AS(parse({"run", "--print"}), UsageError);
}

TEST_CASE("a bad flag value names the flag", "[command_line]") {
    CHECK(flag_error({"--interval", "fast"}).starts_with("--interval: "));
    CHECK(flag_error({"--interval", "-1"}).starts_with("--interval: "));
    CHECK(flag_error({"--server", "nope:"}).starts_with("--server: "));
    CHECK(flag_error({"--host", "a b"}).starts_with("--host: "));
    CHECK(flag_error({"--metric", "x"}).starts_with("--metric: "));
    CHECK(flag_error({"--disable", "cpu,gpu"}).starts_with("--disable: "));
    CHECK(flag_error({"--log-level", "chatty"}).starts_with("--log-level: "));
}

TEST_CASE("flags override the config file", "[command_line]") {
    AgentConfig cfg;
    apply_config_toml(cfg, "interval = 10\nservers = [\"a:1\"]\n[metrics]\nrole = 1\n", "c");
    std::vector<const char*> args = {"beat_client", "--interval", "1", "--metric", "role=2"};
    apply_flags(parse_command_line(static_cast<int>(args.size()), args.data()), cfg);
    CHECK(cfg.interval_ms == 1000);
    CHECK(cfg.servers == std::vector<Endpoint>{{"a", 1}});
    CHECK(cfg.metrics == std::vector<Metric>{{"role", 2}});
}

TEST_CASE("an option's value may follow an equals sign", "[command_line]") {
    const AgentConfig cfg =
        config_for({"--interval=0.25", "--server=127.0.0.1:9", "--disable=net"});
    CHECK(cfg.interval_ms == 250);
    CHECK(cfg.servers == std::vector<Endpoint>{{"127.0.0.1", 9}});
    CHECK_FALSE(cfg.collectors[Collector::net].enabled);
}

TEST_CASE("usage errors say which option or argument is wrong", "[command_line]") {
    const auto message = [](std::vector<const char*> args) -> std::string {
        try {
            parse(std::move(args));
        } catch (const UsageError& e) {
            return e.what();
        }
        return "";
    };
    CHECK(message({"--bogus"}) == "unknown option: --bogus");
    CHECK(message({"--interval"}) == "--interval needs a value");
    CHECK(message({"once", "--print=yes"}) == "--print takes no value");
    CHECK(message({"once", "run"}) == "unexpected argument: run");
    CHECK(message({"--print"}) == "--print and --dry-run belong to the once command");
}

TEST_CASE("keygen is a subcommand and --key-file names the key file", "[command_line]") {
    CHECK(parse({"keygen"}).mode == CommandLine::Mode::keygen);
    CHECK(config_for({"--key-file", "/etc/beat/beat.key"}).key_file == "/etc/beat/beat.key");
    CHECK(config_for({"run", "--key-file=k"}).key_file == "k");
    CHECK(flag_error({"--key-file="}).starts_with("--key-file: "));
    CHECK_THROWS_AS(parse({"keygen", "once"}), UsageError);
}
