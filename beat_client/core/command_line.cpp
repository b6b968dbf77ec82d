#include "beat_client/core/command_line.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace beat {
namespace {

// The agent parses its own command line instead of using CLI11: CLI11 brings in iostreams and
// locales, whose start-up initialisation alone leaves about 0.8 MiB resident in a process meant to
// stay under 4 MiB for years.
constexpr std::string_view kHelp =
    "beat_client: sends this node's heartbeat and metrics to beat_server\n"
    "\n"
    "Usage: beat_client [run] [OPTIONS]               beat every --interval until SIGTERM\n"
    "       beat_client once [--print] [--dry-run] [OPTIONS]\n"
    "                                                 build one beat, print it, send it;\n"
    "                                                 plugins with a local 'every' run once\n"
    "                                                 first, each waited for up to its timeout\n"
    "       beat_client keygen                        print a new random key for --key-file\n"
    "       beat_client put KEY VALUE [TIMESTAMP] --server HOST:PORT\n"
    "       beat_client get KEY --server HOST:PORT\n"
    "\n"
    "Options:\n"
    "  --server HOST:PORT    a beat_server; repeat for several (default 127.0.0.1:43278)\n"
    "  --interval SECONDS    seconds between beats, decimals allowed, or a duration like\n"
    "                        500ms (default 5)\n"
    "  --host NAME           host name sent with each beat (default: the system's)\n"
    "  --metric NAME=VALUE   an extra metric sent with each beat; repeatable\n"
    "  --metrics-file PATH   file of 'name value' lines, re-read every beat and on SIGHUP\n"
    "  --key-file PATH       sign beats with this host's key from PATH (see README,\n"
    "                        Security); the file must not be readable by others\n"
    "  --config PATH         TOML config file (see systemd/beat-client.toml); flags override it\n"
    "  --disable LIST        collectors to switch off, comma-separated:\n"
    "                        cpu,mem,load,kernel,uptime,disk,net,agent\n"
    "  --log-level LEVEL     debug, info, warn or error (default info)\n"
    "  --print               once: print the beat, decoded, and whether each server\n"
    "                        acknowledged it (waiting at most 1 s)\n"
    "  --dry-run             once: do not send the beat\n"
    "  -h, --help            print this help and exit\n"
    "  --version             print the version and exit\n"
    "\n"
    "Metric names are listed in docs/agent_metrics.md.\n";

// Appends the comma-separated items of `list` to `out`.
void split_commas(std::string_view list, std::vector<std::string>& out) {
    while (true) {
        const std::size_t comma = list.find(',');
        out.emplace_back(list.substr(0, comma));
        if (comma == std::string_view::npos) return;
        list.remove_prefix(comma + 1);
    }
}

constexpr std::array<std::string_view, 9> kValueOptions = {
    "--server",   "--interval", "--host",      "--metric", "--metrics-file",
    "--key-file", "--config",   "--log-level", "--disable"};

// Stores the value of option `name`, one of kValueOptions, in `cl`.
void store_value(CommandLine& cl, std::string_view name, std::string_view value) {
    if (name == "--server") {
        cl.servers.emplace_back(value);
    } else if (name == "--interval") {
        cl.interval = std::string(value);
    } else if (name == "--host") {
        cl.host = std::string(value);
    } else if (name == "--metric") {
        cl.metrics.emplace_back(value);
    } else if (name == "--metrics-file") {
        cl.metrics_file = std::string(value);
    } else if (name == "--key-file") {
        cl.key_file = std::string(value);
    } else if (name == "--config") {
        cl.config_path = std::string(value);
    } else if (name == "--disable") {
        split_commas(value, cl.disable);
    } else if (name == "--log-level") {
        cl.log_level = std::string(value);
    }
}

}  // namespace

CommandLine parse_command_line(int argc, const char* const* argv) {
    CommandLine cl;
    bool subcommand_seen = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            cl.mode = CommandLine::Mode::help;
            cl.output = std::string(kHelp);
            return cl;
        }
        if (arg == "--version") {
            cl.mode = CommandLine::Mode::version;
            cl.output = std::string("beat_client ") + BEAT_VERSION + "\n";
            return cl;
        }
        if (!arg.starts_with("-")) {
            if (subcommand_seen || (arg != "run" && arg != "once" && arg != "keygen")) {
                throw UsageError("unexpected argument: " + std::string(arg));
            }
            subcommand_seen = true;
            if (arg == "once") cl.mode = CommandLine::Mode::once;
            if (arg == "keygen") cl.mode = CommandLine::Mode::keygen;
            continue;
        }
        const std::size_t eq = arg.find('=');
        const std::string_view name = arg.substr(0, eq);
        if (name == "--print" || name == "--dry-run") {
            if (eq != std::string_view::npos) {
                throw UsageError(std::string(name) + " takes no value");
            }
            (name == "--print" ? cl.print : cl.dry_run) = true;
            continue;
        }
        if (std::find(kValueOptions.begin(), kValueOptions.end(), name) == kValueOptions.end()) {
            throw UsageError("unknown option: " + std::string(name));
        }
        std::string_view value;
        if (eq != std::string_view::npos) {
            value = arg.substr(eq + 1);
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            throw UsageError(std::string(name) + " needs a value");
        }
        store_value(cl, name, value);
    }
    if ((cl.print || cl.dry_run) && cl.mode != CommandLine::Mode::once) {
        throw UsageError("--print and --dry-run belong to the once command");
    }
    return cl;
}

void apply_flags(const CommandLine& cl, AgentConfig& cfg) {
    if (!cl.servers.empty()) set_servers(cfg, "--server", cl.servers);
    if (cl.interval) set_interval(cfg, "--interval", *cl.interval);
    if (cl.host) set_host(cfg, "--host", *cl.host);
    for (const std::string& m : cl.metrics)
        set_metric_assignment(cfg, "--metric", m);
    if (cl.metrics_file) set_metrics_file(cfg, "--metrics-file", *cl.metrics_file);
    if (cl.key_file) set_key_file(cfg, "--key-file", *cl.key_file);
    for (const std::string& c : cl.disable)
        set_collector_enabled(cfg, "--disable", c, false);
    if (cl.log_level) set_log_level(cfg, "--log-level", *cl.log_level);
}

}  // namespace beat
