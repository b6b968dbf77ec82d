// The agent's command line: `beat_client [run] [options]`, `beat_client once --print
// [--dry-run] [options]` and `beat_client keygen`. (`put` and `get` are dispatched before this
// parser sees them.)
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "beat_client/core/config.hpp"

namespace beat {

// Bad usage: an unknown flag, a missing value. The process exits with code 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct CommandLine {
    enum class Mode { run, once, keygen, help, version };
    Mode mode = Mode::run;
    std::string output;    // With help and version: the text to print.
    bool print = false;    // once: print the beat.
    bool dry_run = false;  // once: do not send it.
    std::string config_path;

    // Flags as given, applied over the config file by apply_flags().
    std::vector<std::string> servers, metrics, disable;
    std::optional<std::string> interval, host, metrics_file, key_file, log_level;
};

// Parses argv (argv[0] is the program). Options may come before or after the subcommand, as
// "--name value" or "--name=value". Throws UsageError saying what is wrong on bad usage.
CommandLine parse_command_line(int argc, const char* const* argv);

// Applies the flags of `cl` over `cfg` (which holds the defaults and the config file). Throws
// ConfigError naming the flag ("--interval: ...") on a bad value.
void apply_flags(const CommandLine& cl, AgentConfig& cfg);

}  // namespace beat
