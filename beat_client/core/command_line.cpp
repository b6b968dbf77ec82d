#include "beat_client/core/command_line.hpp"

#include <CLI/CLI.hpp>

namespace beat {
namespace {

void add_agent_options(CLI::App& app, CommandLine& cl) {
    app.add_option("--server", cl.servers,
                   "HOST:PORT of a beat_server; repeat for several (default 127.0.0.1:43278)");
    app.add_option("--interval", cl.interval,
                   "Seconds between beats, decimals allowed, or a duration like 500ms (default 5)");
    app.add_option("--host", cl.host, "Host name sent with each beat (default: the system's)");
    app.add_option("--metric", cl.metrics,
                   "Extra metric NAME=VALUE sent with each beat; repeatable");
    app.add_option("--metrics-file", cl.metrics_file,
                   "File of 'name value' lines, re-read every beat and on SIGHUP");
    app.add_option("--config", cl.config_path, "TOML config file; flags override it");
    app.add_option("--disable", cl.disable,
                   "Collectors to switch off, comma-separated: cpu,mem,load,kernel,uptime,disk,"
                   "net,agent")
        ->delimiter(',');
    app.add_option("--log-level", cl.log_level, "debug, info, warn or error (default info)");
}

}  // namespace

CommandLine parse_command_line(int argc, const char* const* argv) {
    CommandLine cl;
    CLI::App app{"beat_client: sends this node's heartbeat and metrics to beat_server",
                 "beat_client"};
    app.set_version_flag("--version", BEAT_VERSION);
    app.require_subcommand(0, 1);
    add_agent_options(app, cl);
    CLI::App* run = app.add_subcommand("run", "Beat every --interval until SIGTERM (the default)");
    CLI::App* once = app.add_subcommand("once", "Build one beat, optionally print it, and send it");
    once->add_flag("--print", cl.print, "Print the beat, decoded");
    once->add_flag("--dry-run", cl.dry_run, "Do not send the beat");
    run->fallthrough();
    once->fallthrough();
    app.footer(
        "Other commands:\n"
        "  beat_client put KEY VALUE [TIMESTAMP] --server HOST:PORT\n"
        "  beat_client get KEY --server HOST:PORT");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        cl.mode = CommandLine::Mode::help;
        cl.output = app.help();
        return cl;
    } catch (const CLI::CallForVersion&) {
        cl.mode = CommandLine::Mode::version;
        cl.output = std::string("beat_client ") + BEAT_VERSION + "\n";
        return cl;
    } catch (const CLI::ParseError& e) {
        throw UsageError(e.what());
    }
    if (once->parsed()) cl.mode = CommandLine::Mode::once;
    return cl;
}

void apply_flags(const CommandLine& cl, AgentConfig& cfg) {
    if (!cl.servers.empty()) set_servers(cfg, "--server", cl.servers);
    if (cl.interval) set_interval(cfg, "--interval", *cl.interval);
    if (cl.host) set_host(cfg, "--host", *cl.host);
    for (const std::string& m : cl.metrics)
        set_metric_assignment(cfg, "--metric", m);
    if (cl.metrics_file) set_metrics_file(cfg, "--metrics-file", *cl.metrics_file);
    for (const std::string& c : cl.disable)
        set_collector_enabled(cfg, "--disable", c, false);
    if (cl.log_level) set_log_level(cfg, "--log-level", *cl.log_level);
}

}  // namespace beat
