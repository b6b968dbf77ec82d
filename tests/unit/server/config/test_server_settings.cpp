#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <string>
#include <variant>

#include "beat_server/core/config/server_settings.hpp"
#include "tests/unit/server/config/parse_args.hpp"

using namespace beat;
using beat::test::parse;

namespace {

// A value other than the default for every setting: as the flag takes it, and as TOML writes it.
struct Sample {
    std::string flag, toml;
};
const std::map<std::string, Sample> kSamples = {
    {"udp", {"127.0.0.1:1", "\"127.0.0.1:1\""}},
    {"tcp", {"[::1]:2", "\"[::1]:2\""}},
    {"http", {"off", "\"off\""}},
    {"http_idle_timeout", {"0.5", "0.5"}},
    {"binary", {"[::1]:9999", "\"[::1]:9999\""}},
    {"timeout", {"250ms", "\"250ms\""}},
    {"detector", {"phi", "\"phi\""}},
    {"phi_threshold", {"10.5", "10.5"}},
    {"phi_pause", {"2", "2"}},
    {"probe_threshold", {"12.5", "12.5"}},
    {"probe_budget", {"500", "500"}},
    {"flap_silences", {"0", "0"}},
    {"report_interval", {"2.5", "2.5"}},
    {"forget_after", {"1h", "3600"}},
    {"max_hosts", {"7", "7"}},
    {"max_metrics_per_host", {"16", "16"}},
    {"key_file", {"/etc/beat/beat.key", "\"/etc/beat/beat.key\""}},
    {"auth", {"optional", "\"optional\""}},
    {"max_clock_skew", {"60", "\"1m\""}},
    {"plans", {"/etc/beat/plans.toml", "\"/etc/beat/plans.toml\""}},
    {"legacy_interval", {"20", "\"20s\""}},
    {"max_connections", {"10", "10"}},
    {"max_connections_per_address", {"3", "3"}},
    {"tcp_idle_timeout", {"1m", "60"}},
    {"data_dir", {"", "\"\""}},
    {"durability", {"sync", "\"sync\""}},
    {"retention", {"36h", "129600"}},
    {"max_points_per_key", {"10", "10"}},
    {"max_keys", {"5", "5"}},
    {"postgres", {"host=/run/postgresql dbname=beat", "\"host=/run/postgresql dbname=beat\""}},
    {"postgres_batch", {"0.25", "0.25"}},
    {"postgres_queue", {"50000", "50000"}},
    {"log_level", {"debug", "\"debug\""}},
    {"log_format", {"json", "\"json\""}},
};

// The ConfigError message for the config file `toml`, or "" when it is accepted.
std::string toml_error(std::string_view toml) {
    try {
        GivenSettings given;
        give_server_config_toml(given, toml, "server.toml");
        given.build();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

// The ConfigError message for flag `name`'s `text` (as parse_server_args() prints it), or "".
std::string flag_error(std::string_view name, std::string_view text) {
    try {
        GivenSettings given;
        given.give(*find_server_setting(name), flag_name(name), std::string(text));
        given.build();
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

ServerConfig from_toml(std::string_view toml) {
    GivenSettings given;
    give_server_config_toml(given, toml, "server.toml");
    return given.build();
}

}  // namespace

TEST_CASE("every setting's default is ServerConfig's and reads back through the setting itself",
          "[settings]") {
    const ServerConfig defaults;
    const auto parsed = parse({});
    REQUIRE(std::holds_alternative<ServerConfig>(parsed));
    for (const ServerSetting& s : server_settings()) {
        INFO(s.name);
        CHECK(s.show(std::get<ServerConfig>(parsed)) == s.show(defaults));
        if (!s.default_note.empty()) continue;
        // From another value back to the default, so that the setter is seen to store it.
        ServerConfig c;
        s.set(c, s.name, kSamples.at(std::string(s.name)).flag);
        REQUIRE(s.show(c) != s.show(defaults));
        s.set(c, s.name, default_text(s));
        CHECK(s.show(c) == s.show(defaults));
    }
}

TEST_CASE("the settings with a default that depends on others say so", "[settings]") {
    CHECK(default_text(*find_server_setting("timeout")) == "3 x each host's interval");
    CHECK(default_text(*find_server_setting("auth")) == "required with a key file, else off");
    CHECK(default_text(*find_server_setting("retention")) == "7d");
    CHECK(default_text(*find_server_setting("report_interval")) == "20s");
    CHECK(default_text(*find_server_setting("http")) == "127.0.0.1:43279");
}

TEST_CASE("the binary port is off unless given, and PyHeartBeat hosts beat every 5 s unless told",
          "[settings]") {
    CHECK(default_text(*find_server_setting("binary")) == "off");
    CHECK_FALSE(ServerConfig{}.binary);
    CHECK(from_toml("binary = \"0.0.0.0:9999\"\n").binary == Endpoint{"0.0.0.0", 9999});
    CHECK_FALSE(from_toml("binary = \"off\"\n").binary);
    CHECK(flag_error("binary", "9999") == "--binary: expected ADDR:PORT or off, got \"9999\"");

    CHECK(ServerConfig{}.legacy_interval_ms == 5000);
    CHECK(from_toml("legacy_interval = \"250ms\"\n").legacy_interval_ms == 250);
    CHECK(from_toml("legacy_interval = \"1d\"\n").legacy_interval_ms == 86'400'000);
    CHECK(toml_error("legacy_interval = \"5ms\"\n").starts_with("legacy_interval: "));
    CHECK(flag_error("legacy_interval", "25h") == "--legacy-interval: expected at most 1d");
}

TEST_CASE("the table drives the flags and the config file alike", "[settings]") {
    std::set<std::string> names;
    for (const ServerSetting& s : server_settings()) {
        INFO(s.name);
        names.insert(std::string(s.name));
        REQUIRE(kSamples.count(std::string(s.name)) == 1);
        const Sample& sample = kSamples.at(std::string(s.name));
        const std::string flag = flag_name(s.name);
        // --auth needs a key file: give one alongside it, both ways.
        const bool keyed = s.name == "auth";
        std::vector<const char*> args{flag.c_str(), sample.flag.c_str()};
        if (keyed) args.insert(args.end(), {"--key-file", "k"});
        const auto by_flag = parse(args);
        REQUIRE(std::holds_alternative<ServerConfig>(by_flag));
        const ServerConfig by_file = from_toml(std::string(s.name) + " = " + sample.toml + "\n" +
                                               (keyed ? "key_file = \"k\"\n" : ""));
        CHECK(s.show(by_file) == s.show(std::get<ServerConfig>(by_flag)));
        CHECK(s.show(by_file) != s.show(ServerConfig{}));
    }
    CHECK(names.size() == kSamples.size());
}

TEST_CASE("a flag is the setting's name with dashes", "[settings]") {
    CHECK(flag_name("max_connections_per_address") == "--max-connections-per-address");
    CHECK(flag_name("udp") == "--udp");
    REQUIRE(find_server_setting("phi_threshold") != nullptr);
    CHECK(find_server_setting("phi-threshold") == nullptr);
}

TEST_CASE("a value out of range names the key in the file and the flag on the command line",
          "[settings]") {
    CHECK(toml_error("phi_threshold = 17") ==
          "phi_threshold: expected a number from 1 to 16, got \"17\" (server.toml:1)");
    CHECK(flag_error("phi_threshold", "0.5") ==
          "--phi-threshold: expected a number from 1 to 16, got \"0.5\"");
    CHECK(toml_error("\nreport_interval = \"50ms\"")
              .starts_with("report_interval: expected seconds (\"5\", \"0.5\") or a duration"));
    CHECK(toml_error("\nreport_interval = \"50ms\"").ends_with("(server.toml:2)"));
    CHECK(flag_error("report_interval", "0.05").starts_with("--report-interval: expected seconds"));
    CHECK(flag_error("max_keys", "0") ==
          "--max-keys: expected a whole number from 1 to 100000000, "
          "got \"0\"");
    CHECK(flag_error("udp", "nonsense") == "--udp: expected ADDR:PORT, got \"nonsense\"");
    CHECK(flag_error("http", "nowhere") == "--http: expected ADDR:PORT or off, got \"nowhere\"");
    CHECK(flag_error("durability", "later") ==
          "--durability: expected batch|sync|off, got \"later\"");
    CHECK(toml_error("flap_silences = 1").starts_with("flap_silences: 1 would call every silence"));
    CHECK(toml_error("phi_pause = nan") ==
          "phi_pause: expected a number from 0 to 100, got "
          "\"nan\" (server.toml:1)");
}

TEST_CASE("the metric names a host may have are 256 unless the flag or the file say otherwise",
          "[settings]") {
    CHECK(ServerConfig{}.max_metrics_per_host == 256);
    CHECK(default_text(*find_server_setting("max_metrics_per_host")) == "256");
    CHECK(from_toml("max_metrics_per_host = 1000\n").max_metrics_per_host == 1000);
    const auto r = parse({"--config", "s.toml", "--max-metrics-per-host", "1"},
                         {{"s.toml", "max_metrics_per_host = 1000\n"}});
    REQUIRE(std::holds_alternative<ServerConfig>(r));
    CHECK(std::get<ServerConfig>(r).max_metrics_per_host == 1);
    CHECK(flag_error("max_metrics_per_host", "0") ==
          "--max-metrics-per-host: expected a whole number from 1 to 1000000, got \"0\"");
    CHECK(toml_error("max_metrics_per_host = 1000001") ==
          "max_metrics_per_host: expected a whole number from 1 to 1000000, got \"1000001\" "
          "(server.toml:1)");
    CHECK(toml_error("max_metrics_per_host = \"256\"") ==
          "max_metrics_per_host: expected a whole number, got a string (server.toml:1)");
}

TEST_CASE("a value of the wrong type in the file names the key and the type expected",
          "[settings]") {
    CHECK(toml_error("phi_threshold = \"8\"") ==
          "phi_threshold: expected a number, got a string (server.toml:1)");
    CHECK(toml_error("max_keys = 1.5") ==
          "max_keys: expected a whole number, got a number (server.toml:1)");
    CHECK(toml_error("udp = 43278") == "udp: expected a string, got an integer (server.toml:1)");
    CHECK(toml_error("retention = true") ==
          "retention: expected a number, got a boolean (server.toml:1)");
    CHECK(toml_error("[detector]\nkind = \"phi\"") ==
          "detector: expected a string, got a table (server.toml:1)");
}

TEST_CASE("durations in the file are seconds as numbers or strings with a unit", "[settings]") {
    const ServerConfig c = from_toml(
        "report_interval = 0.5\nretention = \"7d\"\nforget_after = 3600\n"
        "tcp_idle_timeout = \"250ms\"\n");
    CHECK(c.report_interval_ms == 500);
    CHECK(c.limits.retention_s == 7 * 86'400);
    CHECK(c.forget_after_ms == 3'600'000);
    CHECK(c.tcp_idle_timeout_ms == 250);
}

TEST_CASE("an unknown key in the file is an error naming it and the file", "[settings]") {
    CHECK(toml_error("udp = \"127.0.0.1:0\"\nudpp = \"127.0.0.1:0\"\n")
              .starts_with("udpp: unknown key (server.toml:2; known: udp, tcp, http, "));
    CHECK(toml_error("phi-threshold = 8").starts_with("phi-threshold: unknown key"));
    CHECK(std::get<int>(parse({"--config", "s.toml"}, {{"s.toml", "udpp = 1\n"}})) == 2);
}

TEST_CASE("the file must be ASCII, and a non-ASCII byte is reported with its line and column",
          "[settings]") {
    CHECK(toml_error("udp = \"127.0.0.1:0\"\n# caf\xc3\xa9\n") ==
          "server.toml:2:6: a non-ASCII character; the config must be ASCII (write others as "
          "\\uXXXX escapes inside a \"string\")");
    CHECK(toml_error("data_dir = \"caf\\u00e9\"\n") == "");
}

TEST_CASE("flags override the file, which overrides the defaults", "[settings]") {
    const auto r = parse({"--config", "s.toml", "--udp", "127.0.0.1:9"},
                         {{"s.toml", "udp = \"127.0.0.1:1\"\ntcp = \"127.0.0.1:2\"\n"}});
    REQUIRE(std::holds_alternative<ServerConfig>(r));
    const auto& c = std::get<ServerConfig>(r);
    CHECK(c.udp == Endpoint{"127.0.0.1", 9});
    CHECK(c.tcp == Endpoint{"127.0.0.1", 2});
    CHECK(c.http == Endpoint{"127.0.0.1", 43279});
}

TEST_CASE("a config file that cannot be read, or has a syntax error, exits 2", "[settings]") {
    CHECK(std::get<int>(parse({"--config", "missing.toml"})) == 2);
    CHECK(std::get<int>(parse({"--config", "s.toml"}, {{"s.toml", "udp = \n"}})) == 2);
    CHECK(std::get<int>(parse({"--config", "s.toml"}, {{"s.toml", "phi_threshold = 0\n"}})) == 2);
}

TEST_CASE("the rules between settings hold whichever order the file and the flags give them",
          "[settings]") {
    // toml++ reads keys in name order; the table applies key_file before auth, timeout before
    // detector.
    CHECK(from_toml("auth = \"optional\"\nkey_file = \"k\"\n").auth == AuthMode::optional);
    CHECK(from_toml("key_file = \"k\"\n").auth == AuthMode::required);
    CHECK(from_toml("key_file = \"\"\n").auth == AuthMode::off);
    CHECK(toml_error("auth = \"required\"\n") ==
          "auth: \"required\" needs key_file (server.toml:1)");
    CHECK(flag_error("auth", "optional") == "--auth: \"optional\" needs --key-file");
    CHECK(from_toml("detector = \"phi\"\ntimeout = 10\n").detector.kind == DetectorKind::phi);
    const auto r = parse({"--config", "s.toml", "--auth", "off", "--timeout", "5"},
                         {{"s.toml", "key_file = \"k\"\ndetector = \"phi\"\n"}});
    REQUIRE(std::holds_alternative<ServerConfig>(r));
    CHECK(std::get<ServerConfig>(r).auth == AuthMode::off);
    CHECK(std::get<ServerConfig>(r).detector.kind == DetectorKind::phi);
    CHECK(std::get<ServerConfig>(r).timeout_ms == 5000);
}

TEST_CASE("the example config file names every setting, and uncommented gives their defaults",
          "[settings]") {
    std::ifstream in(BEAT_TEST_DATA "/../../systemd/beat-server.toml");
    REQUIRE(in);
    std::string text, line;
    std::set<std::string> keys;
    while (std::getline(in, line)) {
        // "# key = value" lines are the settings; the other comments stay comments.
        const auto eq = line.find(" = ");
        if (line.starts_with("# ") && eq != std::string::npos &&
            line.find_first_not_of("abcdefghijklmnopqrstuvwxyz_", 2) == eq) {
            line.erase(0, 2);
            keys.insert(line.substr(0, eq - 2));
        }
        text += line + "\n";
    }
    const ServerConfig example = from_toml(text);
    for (const ServerSetting& s : server_settings()) {
        INFO(s.name);
        CHECK(keys.count(std::string(s.name)) == 1);
        // Settings without a default value (key_file) or with one that depends on others show an
        // example instead.
        if (s.default_note.empty() && !default_text(s).empty())
            CHECK(s.show(example) == s.show(ServerConfig{}));
    }
    CHECK(keys.size() == server_settings().size());
}
