// Config files in TOML, as the server and the agent read them: the text is checked to be ASCII
// (toml_guard.hpp) and parsed, and each value is read as the type its key needs, with a message
// naming the key otherwise. toml++ is compiled with BEAT_TOML_DEFINITIONS (the top-level
// CMakeLists.txt) wherever it is included, so that every user sees the same toml++.
#pragma once

#include <toml++/toml.h>
#include <cstdint>
#include <string>
#include <string_view>

namespace beat {

// The table in `text`. Throws ConfigError "`origin`:LINE:COLUMN: what is wrong" on non-ASCII text
// or a syntax error.
toml::table parse_config_toml(std::string_view text, std::string_view origin);

// "a string", "an integer", "a number", "a boolean", "a table", "an array" or "a date or time".
std::string toml_type_name(const toml::node& n);

// The value of `n`, or a ConfigError "`key`: expected ..., got <its type>".
std::string_view string_value(const toml::node& n, std::string_view key);
double number_value(const toml::node& n, std::string_view key);  // An integer or a float.
std::int64_t integer_value(const toml::node& n, std::string_view key);

// A duration as text for duration_setting(): a string as written ("250ms"), or a number of
// seconds (5, 0.5) in its shortest form. Throws ConfigError naming `key` for other types and for
// numbers that are not finite.
std::string duration_text(const toml::node& n, std::string_view key);

}  // namespace beat
