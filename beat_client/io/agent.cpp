#include "beat_client/io/agent.hpp"

#include <fmt/core.h>

#include <cstdlib>
#include <string>

#include "beat_client/io/system.hpp"
#include "common/duration.hpp"
#include "common/log.hpp"
#include "common/uv/handle.hpp"
#include "common/uv/uv_error.hpp"

namespace beat {
namespace {

constexpr std::uint64_t kStuckLookupGraceMs = 1000;

std::string joined_servers(const AgentConfig& cfg) {
    std::string out;
    for (const Endpoint& e : cfg.servers) {
        if (!out.empty()) out += ',';
        out += to_string(e);
    }
    return out;
}

std::string enabled_collectors(const AgentConfig& cfg) {
    std::string out;
    for (Collector c : kAllCollectors) {
        const CollectorSettings& s = cfg.collectors[c];
        if (!s.enabled) continue;
        if (!out.empty()) out += ',';
        out += to_string(c);
        if (s.every > 1) {
            out += '/';
            out += std::to_string(s.every);
        }
    }
    return out.empty() ? "none" : out;
}

}  // namespace

Agent::Agent(uv_loop_t* loop, const AgentConfig& cfg, std::uint64_t incarnation, std::uint64_t seed)
    : loop_(loop),
      cfg_(cfg),
      rng_(seed),
      source_(cfg, incarnation),
      sender_(loop, cfg.servers, cfg.resolve_interval_ms,
              {cfg.host, incarnation, cfg.key, cfg.accept_unsigned_plans}),
      signals_(
          loop,
          [this](int signum) {
              log_info("signal {} received, stopping", signum);
              stop();
          },
          [this] { source_.reload_metrics_file(); }),
      notifier_(loop),
      run_(local_settings(cfg.interval_ms, cfg.collectors, cfg.plugins)) {
    if (!cfg.plugins.empty()) {
        plugins_ = std::make_unique<Plugins>(loop, cfg.plugins);
        plugins_->set_schedule(run_.plugins);
    }
    sender_.on_plan([this](const Plan& plan, std::uint32_t version, std::string_view server) {
        on_plan(plan, version, server);
    });
    beat_timer_ = init_handle<uv_timer_t>(uv_timer_init, loop, "uv_timer_init");
    beat_timer_->data = this;
    log_info("beating host={} interval={} servers={} collectors={} incarnation={:016x}", cfg.host,
             format_duration(cfg.interval_ms), joined_servers(cfg), enabled_collectors(cfg),
             incarnation);
}

Agent::~Agent() {
    stop();
    finish();
}

void Agent::start() {
    source_.prime(monotonic_ms());
    sender_.start();
    const std::int64_t first = first_beat_delay_ms(cfg_.interval_ms, cfg_.jitter, rng_);
    uv_check(uv_timer_start(beat_timer_, &Agent::on_beat, static_cast<std::uint64_t>(first), 0),
             "uv_timer_start");
    notifier_.ready(fmt::format("beating host={} interval={} servers={}", cfg_.host,
                                format_duration(cfg_.interval_ms), joined_servers(cfg_)));
}

void Agent::on_beat(uv_timer_t* t) noexcept {
    static_cast<Agent*>(t->data)->beat();
}

void Agent::on_plan(const Plan& plan, std::uint32_t version, std::string_view server) {
    // The version the agent will run once this plan is in force (0: its local settings).
    const std::uint32_t becomes = sets_nothing(plan) ? 0 : version;
    const std::uint32_t next =
        pending_ ? pending_->applied.settings.plan_version : run_.plan_version;
    if (becomes == next) return;
    try {
        pending_ = PendingPlan{
            apply_plan(cfg_.interval_ms, cfg_.collectors, cfg_.plugins, cfg_.pins, plan, version),
            std::string(server)};
    } catch (const std::exception& e) {
        log_error("plan {} from server {} could not be applied: {}", plan.name, server, e.what());
    }
}

void Agent::apply_pending() noexcept {
    try {
        PendingPlan p = std::move(*pending_);
        pending_.reset();
        const std::string was = describe(run_);
        run_ = std::move(p.applied.settings);
        source_.apply(run_);
        if (plugins_) plugins_->set_schedule(run_.plugins);
        if (run_.plan_version == 0) {
            log_info("plan withdrawn server={}: back to the local settings {} (was {})", p.server,
                     describe(run_), was);
        } else {
            log_info("plan applied plan={} version={} server={} {} (was {})", run_.plan_name,
                     format_plan_version(run_.plan_version), p.server, describe(run_), was);
        }
        if (!p.applied.skipped.empty()) {
            std::string skipped;
            for (const std::string& s : p.applied.skipped)
                skipped += (skipped.empty() ? "" : "; ") + s;
            log_warn("plan {} version {}: left out {}", run_.plan_name,
                     format_plan_version(run_.plan_version), skipped);
        }
    } catch (const std::exception& e) {
        log_error("plan could not be applied: {}", e.what());
    }
}

void Agent::beat() noexcept {
    if (pending_) apply_pending();
    source_.set_servers_unacknowledging(sender_.servers_unacknowledging());
    if (plugins_) {
        MetricWriter plugin_metrics(plugin_metrics_);
        plugins_->on_beat(beats_, plugin_metrics);
        plugin_metrics.finish();
    }
    const auto& datagrams = source_.next(monotonic_ms(), unix_time_ms(), plugin_metrics_);
    const std::size_t delivered = sender_.send(datagrams, source_.sequence());
    ++beats_;
    log_debug("beat sequence={} datagrams={} servers={}", source_.sequence(), datagrams.size(),
              delivered);
    const std::int64_t delay = next_beat_delay_ms(run_.interval_ms, cfg_.jitter, rng_);
    uv_timer_start(beat_timer_, &Agent::on_beat, static_cast<std::uint64_t>(delay), 0);
}

void Agent::stop() noexcept {
    if (stopped_) return;
    stopped_ = true;
    notifier_.stopping();
    notifier_.close();
    close_handle(beat_timer_);
    sender_.close();
    signals_.close();
    if (plugins_) plugins_->close();
    if (sender_.resolving()) {
        try {
            stuck_timer_ = init_handle<uv_timer_t>(uv_timer_init, loop_, "uv_timer_init");
            uv_timer_start(stuck_timer_, &Agent::on_stuck_lookup, kStuckLookupGraceMs, 0);
            // Unreferenced: when the lookup ends first, the loop ends without waiting for it.
            uv_unref(reinterpret_cast<uv_handle_t*>(stuck_timer_));
        } catch (const std::exception&) {
            on_stuck_lookup(nullptr);
        }
    }
    const ControlResponder& control = sender_.control();
    std::uint64_t ignored = 0;
    for (std::size_t r = 0; r < kControlIgnoredCount; ++r)
        ignored += control.ignored(static_cast<ControlIgnored>(r));
    std::string plugins;
    if (plugins_) {
        const Plugins::Counts c = plugins_->counts();
        plugins = fmt::format(" plugin_runs={} plugin_failures={} plugin_runs_skipped={}", c.runs,
                              c.failures, c.skipped);
    }
    log_info(
        "stopped beats={} last_sequence={} acks={} answers={} answers_unsent={} "
        "control_ignored={}{}",
        beats_, source_.sequence(), control.acks(), control.answers(), sender_.answers_unsent(),
        ignored, plugins);
}

void Agent::on_stuck_lookup(uv_timer_t*) noexcept {
    log_warn("a host name lookup is still running; exiting without waiting for it");
    // Neither exit() nor returning from main would do: libuv's thread pool is joined at exit.
    std::_Exit(0);
}

void Agent::finish() noexcept {
    close_handle(stuck_timer_);
}

}  // namespace beat
