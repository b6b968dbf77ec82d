#include "beat_server/core/config/server_config.hpp"

#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <vector>

#include "beat_server/core/config/server_settings.hpp"

namespace beat {
namespace {

// --help's line for `s`: its help, then its range and a default that depends on other settings
// in brackets (a plain default is shown after the value's name).
std::string description(const ServerSetting& s) {
    std::string out = s.help;
    if (!s.range.empty() && s.range != s.value_name) out += fmt::format(" [{}]", s.range);
    if (!s.default_note.empty()) out += fmt::format(" [default: {}]", s.default_note);
    return out;
}

}  // namespace

ParsedArgs parse_server_args(int argc, const char* const* argv,
                             const ConfigFileReader& read_config) {
    CLI::App app{
        "beat_server: receives UDP heartbeats, reports silent hosts, serves put/get on TCP"};
    app.set_version_flag("--version", std::string("beat_server ") + BEAT_VERSION);
    std::string config_path;
    app.add_option("--config", config_path,
                   "TOML file of these settings, each under its name with '_' for '-' "
                   "(phi_threshold = 8; see systemd/beat-server.toml); flags override it")
        ->type_name("FILE");
    const auto settings = server_settings();
    std::vector<std::string> values(settings.size());
    std::vector<CLI::Option*> options;
    for (std::size_t i = 0; i < settings.size(); ++i) {
        const ServerSetting& s = settings[i];
        options.push_back(app.add_option(flag_name(s.name), values[i], description(s))
                              ->type_name(s.value_name)
                              ->default_str(s.default_note.empty() ? default_text(s) : ""));
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : 2;
    }
    try {
        GivenSettings given;
        if (!config_path.empty()) {
            std::string error;
            const auto text = read_config(config_path, error);
            if (!text)
                config_fail("--config", fmt::format("cannot read {}: {}", config_path, error));
            give_server_config_toml(given, *text, config_path);
        }
        for (std::size_t i = 0; i < settings.size(); ++i) {
            if (options[i]->count() > 0)
                given.give(settings[i], flag_name(settings[i].name), values[i]);
        }
        return given.build();
    } catch (const ConfigError& e) {
        fmt::print(stderr, "{}\nRun with --help for more information.\n", e.what());
        return 2;
    }
}

}  // namespace beat
