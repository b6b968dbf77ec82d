// beat_client: the node agent (`run`, `once`) and the put/get client (`put`, `get`).
// Command line and config -> agent -> run -> orderly shutdown.
#include <fmt/core.h>
#include <malloc.h>
#include <uv.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <string_view>

#include "beat_client/core/beat_text.hpp"
#include "beat_client/core/command_line.hpp"
#include "beat_client/core/config.hpp"
#include "beat_client/core/run_settings.hpp"
#include "beat_client/io/agent.hpp"
#include "beat_client/io/beat_source.hpp"
#include "beat_client/io/file_reader.hpp"
#include "beat_client/io/plugins.hpp"
#include "beat_client/io/sender.hpp"
#include "beat_client/io/system.hpp"
#include "common/log.hpp"
#include "common/uv/handle.hpp"
#include "common/uv/uv_error.hpp"

#if __has_include("beat_client/io/putget_cli.hpp")
#include "beat_client/io/putget_cli.hpp"
#define BEAT_HAVE_PUTGET 1
#endif

namespace beat {
namespace {

constexpr int kExitUsage = 2;

// Fills `cfg` from the defaults, the config file and the flags, in that order. Returns false
// after logging what is wrong.
bool load_config(const CommandLine& cl, AgentConfig& cfg) {
    try {
        if (!cl.config_path.empty()) {
            FileReader reader;
            int error = 0;
            const auto text = reader.read(cl.config_path.c_str(), error, 1 << 20);
            if (!text) {
                log_error("--config: cannot read {}: {}", cl.config_path, std::strerror(error));
                return false;
            }
            apply_config_toml(cfg, *text, cl.config_path);
        }
        apply_flags(cl, cfg);
    } catch (const ConfigError& e) {
        log_error("{}", e.what());
        return false;
    }
    if (cfg.host.empty()) {
        const std::string name = system_host_name();
        if (!valid_name(name)) {
            log_error("host: the system host name \"{}\" cannot be sent; give one with --host",
                      name);
            return false;
        }
        cfg.host = name;
    }
    if (!cfg.key_file.empty()) {
        try {
            const KeyRing keys = KeyRing::load(cfg.key_file);
            const Key* key = keys.key_for(cfg.host);
            if (key == nullptr) {
                log_error("key file {} holds no key for host {} and no shared key", cfg.key_file,
                          cfg.host);
                return false;
            }
            cfg.key = *key;
        } catch (const KeyFileError& e) {
            log_error("{}", e.what());
            return false;
        }
    }
    return true;
}

// Closes what is left on `loop` and closes the loop; false when something was still open.
bool close_loop(uv_loop_t* loop) {
    uv_run(loop, UV_RUN_DEFAULT);
    if (uv_loop_close(loop) != 0) {
        log_error("event loop still had open handles at exit");
        return false;
    }
    return true;
}

int run_agent(const AgentConfig& cfg) {
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) return 1;
    int rc = 0;
    // The agent outlives the loop's last run, which frees the handles it closed.
    std::optional<Agent> agent;
    try {
        agent.emplace(&loop, cfg, random_u64(), random_u64());
        agent->start();
        uv_run(&loop, UV_RUN_DEFAULT);
    } catch (const std::exception& e) {
        log_error("{}", e.what());
        rc = 1;
    }
    if (agent) {
        agent->stop();
        agent->finish();
    }
    const bool closed = close_loop(&loop);
    agent.reset();
    return closed ? rc : 1;
}

// The period over which `once` measures the rates (cpu, net.*).
constexpr long kOnceRatePeriodMs = 500;
// How long `once --print` waits for the servers' acknowledgements.
constexpr std::uint64_t kOnceAckWaitMs = 1000;

// A plan a server sent in reply to `once`'s beat.
struct OfferedPlan {
    std::string server;
    AppliedPlan applied;
};

// Runs `loop` until every server of `sender` has acknowledged `sequence` or kOnceAckWaitMs have
// passed, then prints on stdout, per server, whether it acknowledged and the round trip, and
// the plan in force: the local settings, and what a plan that came with the replies would make
// of them (a server sends a host's plan before it acknowledges the beat that showed it missing).
void print_acks(uv_loop_t* loop, const Sender& sender, std::uint64_t sequence,
                const AgentConfig& cfg, const std::vector<OfferedPlan>& offered) {
    UvHandle<uv_timer_t> timer(uv_timer_init, loop, "uv_timer_init");
    uv_check(uv_timer_start(
                 timer.get(), [](uv_timer_t*) noexcept {}, kOnceAckWaitMs, 0),
             "uv_timer_start");
    while (!sender.all_acknowledged(sequence) && uv_is_active(timer.base()))
        uv_run(loop, UV_RUN_ONCE);
    uv_run(loop, UV_RUN_NOWAIT);  // What arrived with the last ack.
    timer.close();
    std::string text;
    for (const ServerAcks& s : sender.acks()) {
        if (s.last_acked >= sequence && s.round_trip_us) {
            text += fmt::format("server {} acknowledged sequence {} rtt={:.3f}ms\n", s.server,
                                s.last_acked, static_cast<double>(*s.round_trip_us) / 1000);
        } else {
            text += fmt::format("server {} did not acknowledge within {}ms\n", s.server,
                                kOnceAckWaitMs);
        }
    }
    text += fmt::format("plan in force: none, local settings {}\n",
                        describe(local_settings(cfg.interval_ms, cfg.collectors, cfg.plugins)));
    for (const OfferedPlan& o : offered) {
        const RunSettings& s = o.applied.settings;
        if (s.plan_version == 0) {
            text += fmt::format("server {} sends no plan: local settings\n", o.server);
            continue;
        }
        text += fmt::format("server {} sends plan {} version {}: {}\n", o.server, s.plan_name,
                            format_plan_version(s.plan_version), describe(s));
        for (const std::string& skipped : o.applied.skipped)
            text += fmt::format("  left out: {}\n", skipped);
    }
    for (ControlIgnored r : {ControlIgnored::plan_unsigned, ControlIgnored::bad_plan}) {
        if (const std::uint64_t n = sender.control().ignored(r); n > 0) {
            text += fmt::format("plans refused: {} {}{}\n", n, to_string(r),
                                r == ControlIgnored::plan_unsigned
                                    ? " (no key file, and accept_unsigned_plans is off)"
                                    : "");
        }
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
}

// `once`: runs every plugin that has a local `every` once, all at the same time, waits for the
// runs to end (each at most its timeout) and returns their metrics.
std::vector<Metric> run_plugins_once(const AgentConfig& cfg) {
    std::vector<Metric> metrics;
    std::vector<PluginEvery> schedule = local_plugin_schedule(cfg.plugins, cfg.interval_ms);
    if (schedule.empty()) return metrics;
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) return metrics;
    {
        Plugins plugins(&loop, cfg.plugins);
        plugins.set_schedule(std::move(schedule));
        MetricWriter w(metrics);
        plugins.on_beat(0, w);  // Every plugin is due in the first beat.
        while (!plugins.idle())
            uv_run(&loop, UV_RUN_ONCE);
        plugins.collect(w);
        w.finish();
    }
    close_loop(&loop);
    return metrics;
}

int run_once(const AgentConfig& cfg, const CommandLine& cl) {
    const std::uint64_t incarnation = random_u64();
    const std::vector<Metric> plugin_metrics = run_plugins_once(cfg);
    BeatSource source(cfg, incarnation);
    source.prime(monotonic_ms());
    if (cfg.collectors[Collector::cpu].enabled || cfg.collectors[Collector::net].enabled) {
        timespec period{0, kOnceRatePeriodMs * 1'000'000};
        while (nanosleep(&period, &period) != 0 && errno == EINTR) {
        }
    }
    const std::vector<std::string>& datagrams =
        source.next(monotonic_ms(), unix_time_ms(), plugin_metrics);
    if (datagrams.empty()) return 1;
    if (cl.print) {
        const std::string text = format_beat(datagrams);
        std::fwrite(text.data(), 1, text.size(), stdout);
        std::fflush(stdout);
    }
    if (cl.dry_run) return 0;

    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0) return 1;
    int rc = 0;
    try {
        Sender sender(&loop, cfg.servers, cfg.resolve_interval_ms,
                      {cfg.host, incarnation, cfg.key, cfg.accept_unsigned_plans});
        std::vector<OfferedPlan> offered;
        sender.on_plan([&](const Plan& plan, std::uint32_t version, std::string_view server) {
            offered.push_back(
                {std::string(server), apply_plan(cfg.interval_ms, cfg.collectors, cfg.plugins,
                                                 cfg.pins, plan, version)});
        });
        sender.start(false);
        while (sender.resolving())
            uv_run(&loop, UV_RUN_ONCE);
        const std::size_t delivered = sender.send(datagrams, source.sequence());
        log_info("beat sent to {} of {} server{} datagrams={}", delivered, cfg.servers.size(),
                 cfg.servers.size() == 1 ? "" : "s", datagrams.size());
        if (delivered != cfg.servers.size()) rc = 1;
        // An older server acknowledges nothing: the wait then says so, and the exit code does
        // not change.
        if (cl.print) print_acks(&loop, sender, source.sequence(), cfg, offered);
        sender.close();
        uv_run(&loop, UV_RUN_DEFAULT);
    } catch (const std::exception& e) {
        log_error("{}", e.what());
        rc = 1;
    }
    return close_loop(&loop) ? rc : 1;
}

int agent_main(int argc, char** argv) {
    CommandLine cl;
    try {
        cl = parse_command_line(argc, argv);
    } catch (const UsageError& e) {
        std::fprintf(stderr, "%s\nRun with --help for more information.\n", e.what());
        return kExitUsage;
    }
    if (cl.mode == CommandLine::Mode::help || cl.mode == CommandLine::Mode::version) {
        std::fwrite(cl.output.data(), 1, cl.output.size(), stdout);
        return 0;
    }
    if (cl.mode == CommandLine::Mode::keygen) {
        const std::string key = format_key(generate_key()) + "\n";
        std::fwrite(key.data(), 1, key.size(), stdout);
        return std::fflush(stdout) == 0 ? 0 : 1;
    }
    AgentConfig cfg;
    if (!load_config(cl, cfg)) return kExitUsage;
    set_log_level(cfg.log_level);
    return cl.mode == CommandLine::Mode::once ? run_once(cfg, cl) : run_agent(cfg);
}

}  // namespace
}  // namespace beat

int main(int argc, char** argv) {
    // The agent is single-threaded but for libuv's lookup thread: one malloc arena and one pool
    // thread keep its resident memory small.
    mallopt(M_ARENA_MAX, 1);
    setenv("UV_THREADPOOL_SIZE", "1", 0);
    if (argc > 1 && (std::string_view(argv[1]) == "put" || std::string_view(argv[1]) == "get")) {
#ifdef BEAT_HAVE_PUTGET
        return beat::putget_main(argc - 1, argv + 1);
#else
        std::fprintf(stderr, "beat_client: put and get are not built in\n");
        return 2;
#endif
    }
    return beat::agent_main(argc, argv);
}
