#include "beat_client/io/putget_cli.hpp"

#include <fmt/core.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "common/client.hpp"
#include "common/duration.hpp"
#include "common/endpoint.hpp"
#include "common/float_repr.hpp"
#include "common/parse_number.hpp"
#include "common/protocol.hpp"

namespace beat {
namespace {

constexpr std::uint16_t kDefaultPort = 8888;

int usage_error(const std::string& command, const std::string& message) {
    fmt::print(stderr, "beat_client {}: {}\nRun with --help for more information.\n", command,
               message);
    return 2;
}

}  // namespace

int putget_main(int argc, char** argv) {
    const std::string command = argc > 0 ? argv[0] : "";
    if (command != "put" && command != "get") {
        fmt::print(stderr, "beat_client: expected 'put' or 'get', not '{}'\n", command);
        return 2;
    }
    const bool put = command == "put";
    CLI::App app{put ? "Store one value of a series on a beat server."
                     : "Print the points of a series (or of all, with '*') from a beat server.",
                 "beat_client " + command};
    std::string key, value_text, timestamp_text;
    std::string server = "127.0.0.1:" + std::to_string(kDefaultPort);
    std::string timeout_text = "5";
    app.add_option("KEY", key, put ? "Series name" : "Series name, or '*' for every series")
        ->required();
    if (put) {
        app.add_option("VALUE", value_text, "A finite number")->required();
        app.add_option("TIMESTAMP", timestamp_text, "Seconds since the epoch (default: now)");
    }
    app.add_option("--server", server, "HOST:PORT of the server's put/get port")
        ->type_name("HOST:PORT")
        ->capture_default_str();
    app.add_option("--timeout", timeout_text,
                   "Seconds to wait for connecting and for each reply ('0.5', '250ms')")
        ->type_name("SECONDS")
        ->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }

    const auto endpoint = parse_endpoint(server, kDefaultPort);
    if (!endpoint) return usage_error(command, "--server must be HOST:PORT, not '" + server + "'");
    const auto timeout_ms = parse_duration_ms(timeout_text);
    if (!timeout_ms || *timeout_ms <= 0) {
        return usage_error(command,
                           "--timeout must be a positive duration, not '" + timeout_text + "'");
    }
    std::optional<double> value;
    std::optional<std::int64_t> timestamp;
    if (put) {
        value = parse_finite_double(value_text);
        if (!value)
            return usage_error(command, "VALUE must be a finite number, not '" + value_text + "'");
        if (!timestamp_text.empty()) {
            timestamp = parse_i64(timestamp_text, PlusSign::accepted);
            if (!timestamp) {
                return usage_error(command,
                                   "TIMESTAMP must be an integer, not '" + timestamp_text + "'");
            }
        }
    }

    try {
        Client client(endpoint->host, endpoint->port, std::chrono::milliseconds(*timeout_ms));
        if (put) {
            client.put(key, *value, timestamp);
            return 0;
        }
        std::string out;
        for (const auto& [name, points] : client.get_in_order(key)) {
            for (const auto& [ts, v] : points)
                append_point(out, name, v, ts);
        }
        if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() ||
            std::fflush(stdout) != 0) {
            fmt::print(stderr, "beat_client get: cannot write the points to stdout\n");
            return 1;
        }
        return 0;
    } catch (const ClientError& e) {
        fmt::print(stderr, "beat_client {}: {}\n", command, e.what());
        return 1;
    }
}

}  // namespace beat
