// beat_client: the node agent (`run`, `once`) and the put/get client (`put`, `get`).
// Command line and config -> agent -> run -> orderly shutdown.
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
#include "beat_client/io/agent.hpp"
#include "beat_client/io/beat_source.hpp"
#include "beat_client/io/file_reader.hpp"
#include "beat_client/io/sender.hpp"
#include "beat_client/io/system.hpp"
#include "common/log.hpp"
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

int run_once(const AgentConfig& cfg, const CommandLine& cl) {
    BeatSource source(cfg, random_u64());
    source.prime(monotonic_ms());
    if (cfg.collectors[Collector::cpu].enabled || cfg.collectors[Collector::net].enabled) {
        timespec period{0, kOnceRatePeriodMs * 1'000'000};
        while (nanosleep(&period, &period) != 0 && errno == EINTR) {
        }
    }
    const std::vector<std::string>& datagrams = source.next(monotonic_ms(), unix_time_ms());
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
        Sender sender(&loop, cfg.servers, cfg.resolve_interval_ms);
        sender.start(false);
        while (sender.resolving())
            uv_run(&loop, UV_RUN_ONCE);
        const std::size_t delivered = sender.send(datagrams);
        log_info("beat sent to {} of {} server{} datagrams={}", delivered, cfg.servers.size(),
                 cfg.servers.size() == 1 ? "" : "s", datagrams.size());
        if (delivered != cfg.servers.size()) rc = 1;
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
