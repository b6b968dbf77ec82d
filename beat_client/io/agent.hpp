// `beat_client run`: beats on a timer until SIGTERM or SIGINT; SIGHUP re-reads the metrics file.
// Under systemd it reports READY=1 once started, STOPPING=1 when stopped, and watchdog pings.
// A plan a server sends (README "Plans") is applied from the next beat on. Plugins (README
// "Plugins") run beside the beats, their metrics going into the beat after their run ends.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "beat_client/core/config.hpp"
#include "beat_client/core/jitter.hpp"
#include "beat_client/core/run_settings.hpp"
#include "beat_client/io/beat_source.hpp"
#include "beat_client/io/plugins.hpp"
#include "beat_client/io/sender.hpp"
#include "common/uv/signals.hpp"
#include "common/uv/systemd_notify.hpp"

namespace beat {

class Agent {
  public:
    // `cfg.host` must be set. Throws UvError when libuv refuses a handle. The loop must run after
    // the agent is stopped (or destroyed) so that the handles' close callbacks free them.
    Agent(uv_loop_t* loop, const AgentConfig& cfg, std::uint64_t incarnation, std::uint64_t seed);
    Agent(const Agent&) = delete;
    Agent& operator=(const Agent&) = delete;
    ~Agent();

    // Takes the rates' baseline, starts the server lookups, arms the first beat, which comes
    // after a random share (the jitter) of one interval, and tells systemd the agent is ready.
    void start();

    // Stops beating, tells systemd (STOPPING=1) and closes every handle, so that uv_run() returns.
    // A host name lookup still running on the thread pool gets one second to finish; after that the
    // process exits at once (status 0), since a DNS timeout must not hold up a shutdown.
    void stop() noexcept;

    // After uv_run() has returned: closes the handles stop() had to leave open.
    void finish() noexcept;

    std::uint64_t beats() const noexcept { return beats_; }
    // What the agent runs now (a plan received is in force from the next beat).
    const RunSettings& run_settings() const noexcept { return run_; }

  private:
    // A plan `server` sent, accepted by the sender: kept for the next beat unless it is the one
    // in force (or about to be) already.
    void on_plan(const Plan& plan, std::uint32_t version, std::string_view server);
    // Puts the pending plan in force, with a log line saying what changed.
    void apply_pending() noexcept;

    static void on_beat(uv_timer_t* t) noexcept;
    static void on_stuck_lookup(uv_timer_t* t) noexcept;
    void beat() noexcept;

    uv_loop_t* loop_;
    AgentConfig cfg_;
    Random rng_;
    BeatSource source_;
    Sender sender_;
    uv_timer_t* beat_timer_ =
        nullptr;  // Handles from init_handle(), freed in their close callbacks.
    uv_timer_t* stuck_timer_ = nullptr;
    Signals signals_;
    SystemdNotifier notifier_;
    bool stopped_ = false;
    std::uint64_t beats_ = 0;
    RunSettings run_;
    struct PendingPlan {
        AppliedPlan applied;
        std::string server;
    };
    std::optional<PendingPlan> pending_;
    // Run on run_.plugins' schedule; null with no plugin configured, so that an agent without
    // plugins does not even touch the pages of their code.
    std::unique_ptr<Plugins> plugins_;
    std::vector<Metric> plugin_metrics_;  // Those of the beat being built.
};

}  // namespace beat
