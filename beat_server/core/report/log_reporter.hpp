// Reports monitor events as log lines: one line per event, "key=value" fields (or json). It
// reads the event records only, never the monitor's state.
#pragma once

#include "beat_server/core/ingest/events.hpp"
#include "common/rate_limiter.hpp"

namespace beat {

class LogReporter final : public EventSink {
  public:
    // At most `max_names` hosts are named in a summary line; invalid and refused datagrams are
    // logged at most once per source address per `invalid_log_window_ms` (refusals for the host
    // limit at most once per window in all).
    explicit LogReporter(std::size_t max_names = 20, std::int64_t invalid_log_window_ms = 60'000);

    // Logs `event` as one line: at warn for a silence, a flap, a datagram problem (rate limited
    // as above) and refused metrics (which the monitor reports at most once a minute per host),
    // at debug for a plan applied after a reload of the plans file changed it (the reload's own
    // line says what changed, for every host at once), at info otherwise.
    void on_event(const Event& event) override;

  private:
    void write(const HostNew& e);
    void write(const HostRestarted& e);
    void write(const HostSilent& e);
    void write(const HostBack& e);
    void write(const HostFlapping& e);
    void write(const HostSettled& e);
    void write(const HostForgotten& e);
    void write(const InvalidDatagram& e);
    void write(const DatagramRefused& e);
    void write(const MetricsRefused& e);
    void write(const ServerStalled& e);
    void write(const VerdictsHeld& e);
    void write(const ProbeBudgetSpent& e);
    void write(const PlanApplied& e);
    void write(const SilentSummary& e);

    std::size_t max_names_;
    RateLimiter invalid_limiter_;
    // Refusals: per source address, except host_limit, which is logged once per window in all.
    RateLimiter refused_limiter_;
};

}  // namespace beat
