// What the monitor reports as it happens, as plain values. The server's reporters (log lines
// today) receive them; tests record them.
//
// Every record is a value: it owns its strings and holds no reference, pointer or view into the
// monitor, so a sink may keep, buffer or hand it to another thread, and what it keeps still says
// what was true at the moment of the event however the host has changed since. Times are
// milliseconds of the server's monotonic clock, the clock the monitor was given.
//
// The sink takes one std::variant of the records through one on_event(): a sink that records or
// buffers events keeps a std::vector<Event> (or a queue of them) and is one line long, a sink that
// cares about a few kinds picks them out with std::get_if, and one that handles them all with
// std::visit fails to compile when a new kind is added and it misses it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "beat_server/core/detect/liveness.hpp"
#include "beat_server/core/ingest/ingest_stats.hpp"
#include "beat_server/core/ingest/source_address.hpp"
#include "common/wire.hpp"

namespace beat {

// The host an event is about, as it stood at that moment.
struct EventHost {
    std::string name;
    SourceAddress address;  // Where its latest accepted datagram came from.
};

// A host was heard from for the first time.
struct HostNew {
    EventHost host;
    std::int64_t at_ms = 0;
    std::uint32_t interval_ms = 0;  // The beat interval its agent advertises.
    std::uint64_t incarnation = 0;  // The agent's incarnation, which changes when it restarts.
};

// A known host started a new agent incarnation. A restart that ends a reported silence is a
// HostBack instead.
struct HostRestarted {
    EventHost host;
    std::int64_t at_ms = 0;
    std::uint64_t incarnation = 0;  // The new incarnation.
    std::uint64_t restarts = 0;     // New incarnations seen after the first, this one included.
};

// A host's timeout passed (or its phi reached the threshold) with nothing heard.
struct HostSilent {
    EventHost host;
    std::int64_t at_ms = 0;
    std::int64_t silent_for_ms = 0;  // From when it was last heard to at_ms.
    std::uint64_t last_seq = 0;      // The highest sequence number heard from it.
    std::int64_t timeout_ms = 0;     // How long it was given after its last beat.
    DetectorReading detector;        // As the detector read the host at at_ms.
};

// A silent host was heard again. A flapping host's returns are not reported.
struct HostBack {
    EventHost host;
    std::int64_t at_ms = 0;
    std::int64_t away_for_ms = 0;  // From the last beat before its silence to at_ms.
    // Beats that went missing meanwhile, as the sequence numbers tell. When the agent restarted
    // the numbers started over, so what was lost is unknown and this is 0.
    std::uint64_t lost = 0;
    bool restarted = false;    // It came back as a new incarnation.
    DetectorReading detector;  // As the detector read the host at at_ms, with this beat counted.
    // False for a PyHeartBeat host, whose beats carry no sequence: `lost` is unknown, not 0.
    bool numbered = true;
};

// A host went silent once too often in a short span (flap_damper.hpp): this replaces its silent
// report, and its silences and returns are not reported until it settles.
struct HostFlapping {
    EventHost host;
    std::int64_t at_ms = 0;
    std::int64_t silent_for_ms = 0;  // From when it was last heard to at_ms.
    std::int64_t timeout_ms = 0;     // How long it was given after its last beat.
    DetectorReading detector;        // As the detector read the host at at_ms.
};

// A flapping host has stayed up, or stayed silent, long enough to be reported as such again.
struct HostSettled {
    EventHost host;
    std::int64_t at_ms = 0;
    HostState state = HostState::up;  // Up or silent: the state it settled in.
    std::int64_t since_heard_ms = 0;  // From when it was last heard to at_ms.
    DetectorReading detector;         // As the detector read the host at at_ms.
};

// A host silent for longer than the forget-after limit was dropped from the registry.
struct HostForgotten {
    EventHost host;
    std::int64_t at_ms = 0;
    std::int64_t silent_for_ms = 0;  // From when it was last heard to at_ms.
};

// A datagram failed to decode. Reported for every one, so a flood of them is a flood of these:
// rate limiting is the sink's business.
struct InvalidDatagram {
    DecodeError error = DecodeError::ok;
    SourceAddress from;
    std::int64_t at_ms = 0;
};

// A datagram that decoded was refused. Reported for every one, like InvalidDatagram.
struct DatagramRefused {
    Refusal reason = Refusal::replay;
    std::string host;  // The host name the datagram claims, unverified.
    SourceAddress from;
    std::int64_t at_ms = 0;
};

// Metric values a host sent under names beyond --max-metrics-per-host were refused: neither
// stored nor kept as its latest values. Reported at most once every kMetricsRefusedReportMs per
// host (monitor.hpp), with the count since the previous report.
struct MetricsRefused {
    EventHost host;
    std::uint64_t refused = 0;  // Values refused since the host's previous report.
    std::size_t limit = 0;      // The names a host may have: --max-metrics-per-host.
    std::int64_t at_ms = 0;
};

// The server's own event loop stalled (a timer ran stalled_ms late): no host is declared silent
// before held_until_ms, since its beats may be waiting unread.
struct ServerStalled {
    std::int64_t at_ms = 0;
    std::int64_t stalled_ms = 0;
    std::int64_t held_until_ms = 0;
};

// So many hosts were suspected at once (at least ProbeSettings::mass_share of those up) that the
// server's own network is the likelier cause: their verdicts are held for a few intervals.
// Reported when it starts, at most once a minute.
struct VerdictsHeld {
    std::int64_t at_ms = 0;
    std::size_t suspected = 0;
    std::size_t up = 0;
};

// Probes were not sent because the server-wide budget (ProbeSettings::budget_per_s) was spent.
// Reported at most once a minute, with the count since the previous report.
struct ProbeBudgetSpent {
    std::int64_t at_ms = 0;
    std::uint64_t skipped = 0;
    double budget_per_s = 0;
};

// A host's agent reports running the plan the server wants for it (README "Plans"), after the
// server sent it that plan; or, once the server has no plan for the host, reports running none
// after the server sent it the local plan (common/plan.hpp). Reported once per plan applied.
struct PlanApplied {
    EventHost host;
    std::int64_t at_ms = 0;
    std::string plan;           // Its name in the plans file; "local" when withdrawn.
    std::uint32_t version = 0;  // The plan's version; 0 when withdrawn.
    // The plan the host should run changed on a reload of the plans file since its agent last
    // ran the plan it should: one of many hosts moving to a plan changed at once.
    bool after_reload = false;
};

// One host in the periodic summary.
struct SilentHost {
    std::string name;
    std::int64_t silent_for_ms = 0;  // From when it was last heard to the summary's at_ms.
};

// The periodic summary, once every host silent for longer than forget-after has been forgotten.
struct SilentSummary {
    std::int64_t at_ms = 0;
    std::vector<SilentHost> silent;  // Every host silent now, longest silent first.
    std::size_t up = 0;              // Hosts up now.
    std::size_t flapping = 0;        // Hosts flapping now, up or silent.
};

// Any one of the events.
using Event =
    std::variant<HostNew, HostRestarted, HostSilent, HostBack, HostFlapping, HostSettled,
                 HostForgotten, InvalidDatagram, DatagramRefused, MetricsRefused, ServerStalled,
                 VerdictsHeld, ProbeBudgetSpent, PlanApplied, SilentSummary>;

class EventSink {
  public:
    virtual ~EventSink() = default;
    // Receives each event once, as it happens, in the order they happen. `event` lives for the
    // call only: a sink that keeps it keeps a copy.
    virtual void on_event(const Event& event) = 0;
};

}  // namespace beat
