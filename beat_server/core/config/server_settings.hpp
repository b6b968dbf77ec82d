// beat_server's settings as one table. Each entry has the setting's name (its TOML key; the flag
// is "--" and the name with '-' for '_'), what its value looks like, its range, its help, and how
// it is stored in and read back from ServerConfig. The command line, the config file, --help, the
// range checks and their messages are all derived from the table. The defaults are ServerConfig{}'s
// own, shown through each entry's `show`, so the struct and the table cannot disagree.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "beat_server/core/config/server_config.hpp"
#include "common/config_value.hpp"

namespace beat {

// The TOML type a setting's value has in the config file.
enum class SettingType {
    string,    // "0.0.0.0:43278", "phi", "/var/lib/beat".
    number,    // An integer or a float: 8, 1.5.
    integer,   // A whole number: 1024.
    duration,  // Seconds as a number (20, 0.5) or a string with a unit ("250ms", "7d").
};

struct ServerSetting {
    std::string_view name;   // "phi_threshold".
    std::string value_name;  // In --help: "ADDR:PORT", "SECONDS", "N", "fixed|phi".
    SettingType type;
    std::string help;
    std::string range;  // "1 to 16", "fixed|phi", "at least 0.1s"; empty when anything goes.
    // What the default is when it depends on other settings ("3 x each host's interval"); empty
    // when it is `show(ServerConfig{})`.
    std::string_view default_note;
    // Checks `text` against the range and stores it in `cfg`. Throws ConfigError naming `key`.
    std::function<void(ServerConfig& cfg, std::string_view key, std::string_view text)> set;
    // The setting's value in `cfg` as text `set` reads back; empty when it is unset.
    std::function<std::string(const ServerConfig& cfg)> show;
};

// Every setting, in the order in which they are applied: one whose default depends on another
// comes after it (--detector after --timeout, --auth after --key-file).
std::span<const ServerSetting> server_settings();

// The setting called `name` ("phi_threshold"), or nullptr.
const ServerSetting* find_server_setting(std::string_view name);

// "--phi-threshold" for "phi_threshold".
std::string flag_name(std::string_view name);

// The default as --help and the example config show it: `default_note`, else the value in
// ServerConfig{}.
std::string default_text(const ServerSetting& s);

// Values given for the settings before they are applied, each with the key it came under and,
// from a file, where. A later value replaces an earlier one: the config file goes first, then
// the flags.
class GivenSettings {
  public:
    GivenSettings();
    // Gives `s` (an entry of server_settings()) the value `text` under `key` ("--retention" or
    // "retention"); `where` ("beat-server.toml:3") is added to a message about it.
    void give(const ServerSetting& s, std::string key, std::string text, std::string where = {});

    // ServerConfig{} with the given values applied in table order. Throws ConfigError, its
    // message starting with the key, for a value out of range or two that do not go together.
    ServerConfig build() const;

  private:
    struct Value {
        std::string key, text, where;
    };
    std::vector<std::optional<Value>> values_;  // One per entry of server_settings().
};

// Gives the settings in the TOML `text` of a config file named `origin`. Throws ConfigError on
// non-ASCII text or a syntax error ("origin:line:column: ..."), an unknown key or a value of the
// wrong type (starting with the key, and saying where in `origin`). Ranges are checked by build().
void give_server_config_toml(GivenSettings& given, std::string_view text, std::string_view origin);

}  // namespace beat
