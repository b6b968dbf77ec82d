// What the monitor reports as it happens. The server's reporters (log lines today) implement it;
// tests record the calls.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "beat_server/core/ingest/ingest_stats.hpp"
#include "beat_server/core/ingest/registry.hpp"
#include "common/wire.hpp"

namespace beat {

class EventSink {
  public:
    virtual ~EventSink() = default;
    // A host was heard from for the first time.
    virtual void host_new(const HostRecord& host, std::int64_t now_ms) = 0;
    // A known host started a new agent incarnation.
    virtual void host_restarted(const HostRecord& host, std::int64_t now_ms) = 0;
    // A host's timeout passed (or its phi reached the threshold) with nothing heard;
    // silent_for = now - last seen.
    virtual void host_silent(const HostRecord& host, std::int64_t now_ms) = 0;
    // A silent host was heard again after `away_ms`; `lost` beats went missing meanwhile
    // (unknown when the agent restarted, which `restarted` tells).
    virtual void host_back(const HostRecord& host, std::int64_t away_ms, std::uint64_t lost,
                           bool restarted, std::int64_t now_ms) = 0;
    // A host went silent once too often in a short span (flap_damper.hpp): this replaces its
    // silent report, and its silences and returns are not reported until it settles. A sink that
    // does not report flapping may leave this and host_settled() as they are.
    virtual void host_flapping(const HostRecord& /*host*/, std::int64_t /*now_ms*/) {}
    // A flapping host has stayed up, or stayed silent (host.liveness.state tells), long enough.
    virtual void host_settled(const HostRecord& /*host*/, std::int64_t /*now_ms*/) {}
    // A host silent for longer than the forget-after limit was dropped from the registry.
    virtual void host_forgotten(const HostRecord& host, std::int64_t now_ms) = 0;
    // A datagram failed to decode. Called for every one; rate limiting is the sink's business.
    virtual void invalid_datagram(DecodeError error, const SourceAddress& from,
                                  std::int64_t now_ms) = 0;
    // A datagram that decoded was refused for `reason` (its host name as it claimed, unverified).
    // Called for every one; rate limiting is the sink's business.
    virtual void datagram_refused(Refusal reason, std::string_view host, const SourceAddress& from,
                                  std::int64_t now_ms) = 0;
    // The periodic summary: every host currently silent, longest silent first, how many are up
    // and how many of all are flapping (up or silent).
    virtual void silent_summary(std::span<const HostRecord* const> silent, std::size_t up,
                                std::size_t flapping, std::int64_t now_ms) = 0;
};

}  // namespace beat
