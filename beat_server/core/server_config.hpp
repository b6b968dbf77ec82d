// beat_server's settings: one struct, defaults in one place, filled from the command line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "common/endpoint.hpp"
#include "common/log.hpp"

namespace beat {

struct ServerConfig {
    Endpoint udp{"0.0.0.0", 43278};
    Endpoint tcp{"127.0.0.1", 8888};
    std::optional<std::int64_t> timeout_ms;  // Unset: 3 x each host's interval.
    std::int64_t report_interval_ms = 20'000;
    std::int64_t forget_after_ms = 86'400'000;
    std::size_t max_connections = 1024;
    std::size_t udp_rcvbuf_bytes = 32 * 1024 * 1024;
    LogLevel log_level = LogLevel::info;
};

// The outcome of reading the command line: a config to run with, or an exit code (0 after
// --help/--version, 2 on bad usage) with the text already printed.
using ParsedArgs = std::variant<ServerConfig, int>;

// Parses beat_server's command line. Never throws; usage errors are printed to stderr with a
// message naming the option.
ParsedArgs parse_server_args(int argc, const char* const* argv);

}  // namespace beat
