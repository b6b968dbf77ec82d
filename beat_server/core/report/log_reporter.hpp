// Reports monitor events as log lines: one line per event, "key=value" fields.
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

    void host_new(const HostRecord& host, std::int64_t now_ms) override;
    void host_restarted(const HostRecord& host, std::int64_t now_ms) override;
    void host_silent(const HostRecord& host, std::int64_t now_ms) override;
    void host_back(const HostRecord& host, std::int64_t away_ms, std::uint64_t lost, bool restarted,
                   std::int64_t now_ms) override;
    void host_flapping(const HostRecord& host, std::int64_t now_ms) override;
    void host_settled(const HostRecord& host, std::int64_t now_ms) override;
    void host_forgotten(const HostRecord& host, std::int64_t now_ms) override;
    void invalid_datagram(DecodeError error, const SourceAddress& from,
                          std::int64_t now_ms) override;
    void datagram_refused(Refusal reason, std::string_view host, const SourceAddress& from,
                          std::int64_t now_ms) override;
    void silent_summary(std::span<const HostRecord* const> silent, std::size_t up,
                        std::size_t flapping, std::int64_t now_ms) override;

  private:
    std::size_t max_names_;
    RateLimiter invalid_limiter_;
    // Refusals: per source address, except host_limit, which is logged once per window in all.
    RateLimiter refused_limiter_;
};

}  // namespace beat
