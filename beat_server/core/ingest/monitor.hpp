// The monitor: turns heartbeat datagrams into host state and stored metrics, and drives the
// failure detector. Pure: the caller passes the bytes, their source and the time.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "beat_server/core/detect/liveness.hpp"
#include "beat_server/core/ingest/auth_policy.hpp"
#include "beat_server/core/ingest/datagram_out.hpp"
#include "beat_server/core/ingest/events.hpp"
#include "beat_server/core/ingest/host_snapshot.hpp"
#include "beat_server/core/ingest/ingest_stats.hpp"
#include "beat_server/core/ingest/registry.hpp"
#include "beat_server/core/store/store.hpp"
#include "common/control.hpp"

namespace beat {

// A host's metric values refused for max_metrics_per_host are reported (MetricsRefused) at most
// once in this many milliseconds.
inline constexpr std::int64_t kMetricsRefusedReportMs = 60'000;

struct MonitorConfig {
    std::optional<std::int64_t> timeout_ms;  // Unset: 3 x each host's advertised interval.
    DetectorConfig detector;
    std::int64_t forget_after_ms = 86'400'000;
    std::size_t max_hosts = 100'000;  // Datagrams from new hosts beyond this are refused.
    // Metric names a host may have at once; values under further names are refused.
    std::size_t max_metrics_per_host = 256;
    AuthPolicy auth;
    // An accepted beat is acknowledged when its sequence is a multiple of this, and when it is
    // the first of its agent run or ends a silence; 0: never.
    std::uint32_t ack_every = 4;
    // The interval a host beating with PyHeartBeat datagrams (pyheartbeat.hpp) is judged by:
    // they carry none, and PyHeartBeat's clients send one every 5 s.
    std::uint32_t legacy_interval_ms = 5'000;
    // The key of the probes' nonces (SipHash of a counter): random in the server, so that nobody
    // who does not see a probe can answer it.
    std::array<unsigned char, 16> nonce_key{};
};

class Monitor {
  public:
    // `store` holds the metric series (shared with the put/get protocol); `events` receives the
    // reports (events.hpp), built only when something is to be reported: an accepted beat of a
    // known host that changes no state builds none. `out`, when given, carries acknowledgements
    // and probes to the agents; without it nothing is sent and the probe detector judges every
    // host by phi. All three must outlive the monitor.
    Monitor(const MonitorConfig& config, Store& store, EventSink& events,
            DatagramOut* out = nullptr);

    // Applies one datagram received at `now_ms` (monotonic; `now_unix_ms` is the same moment in
    // Unix time, for the clock-skew bound of authenticated beats) from `from`. A datagram that
    // fails to decode, fails authentication, replays an earlier incarnation or would add a host
    // beyond max_hosts changes nothing but the counters.
    //
    // Each metric is kept in a slot of its host (its latest value, its series pinned in the
    // store) under the name the agent gives it. A host holds at most max_metrics_per_host names:
    // a value under a further name is refused and counted, and reported at most once every
    // kMetricsRefusedReportMs per host. A name no accepted datagram of its host has carried for
    // the store's retention (none when that is 0) is released when the host is next heard from:
    // its slot goes and its series is unpinned, so the store's sweep removes the key once its
    // points have expired. Cost: O(metrics in the datagram), plus O(names of the host) when one
    // of them may have outlived the retention.
    //
    // Plans: the first datagram of each beat (not a late one) says which plan the agent runs.
    // When that is not the version of the host's plan (none: 0, the agent's local settings), the
    // host is sent its plan, or the local plan when it has none, through `out` and signed with
    // its key as acknowledgements are; at most kMaxPlanSends a minute per host, the others are
    // held (counted). Once its agent runs the plan sent it, PlanApplied is reported. A beat that
    // runs no plan of a server without plans costs one test.
    void on_datagram(std::string_view datagram, const SourceAddress& from, std::int64_t now_ms,
                     std::int64_t now_unix_ms);
    // As above, for callers whose clock is Unix time already (tests, simulations).
    void on_datagram(std::string_view datagram, const SourceAddress& from, std::int64_t now_ms) {
        on_datagram(datagram, from, now_ms, now_ms);
    }

    // Applies a PyHeartBeat datagram (exactly kPyHeartBeat, which on_datagram() hands here) from
    // `from` at `now_ms`: a beat of the host named by the source's IP address (pyheartbeat_host()),
    // advertising legacy_interval_ms, through the same failure detector and events as any beat.
    // It carries no metrics and no sequence, so every datagram counts as a beat and no loss can
    // be measured; its sender cannot answer, so nothing is ever sent to it, and the probe
    // detector judges it by phi. Refused (auth_missing) under --auth required, since it cannot be
    // signed, and for a new host beyond max_hosts (host_limit). O(log hosts).
    void on_legacy_beat(const SourceAddress& from, std::int64_t now_ms);

    // Reports every host whose deadline has passed as silent (or flapping), and every flapping
    // host that has settled; sends the probes that are due. O(log hosts) for each of them.
    void expire(std::int64_t now_ms);
    // The server's own loop ran `stalled_ms` late at `now_ms` (a timer fired that late): its
    // beats may be waiting unread, so no host is declared silent before now + stalled_ms, and
    // beats read until then measure no interval. Reported (ServerStalled).
    void server_stalled(std::int64_t now_ms, std::int64_t stalled_ms);
    // When expire() next has something to do, or nullopt when nothing is due.
    std::optional<std::int64_t> next_deadline() const noexcept { return liveness_.next_deadline(); }

    // The periodic pass: drops hosts silent for longer than forget_after, then reports the silent
    // ones, and the metric values they had refused when that report is due. O(silent hosts).
    void report(std::int64_t now_ms);

    // Brings back a host kept across a restart, at monotonic `now_ms` when Unix time is
    // `now_unix_ms`. The host counts as up with one full timeout of grace from now, so a restart
    // reports nobody silent at once, and a host that stopped while the server was down is
    // reported once the grace ends (silent_for counting from when it was really last heard).
    // A host already known is left as it is. Its transitions are brought back as they were, in
    // the monotonic clock (none later than now).
    void restore(const HostSnapshot& snapshot, std::int64_t now_ms, std::int64_t now_unix_ms);
    // The state of `host` to keep across a restart, given the clocks as for restore().
    static HostSnapshot snapshot(const HostRecord& host, std::int64_t now_ms,
                                 std::int64_t now_unix_ms);
    // The plans file in force (README "Plans"); null: none, so that no host has a plan. Matched
    // against each host's name at its next beat, from which the host's agent is sent its plan
    // (see on_datagram()). O(1): the hosts are matched again one by one, at their next beats.
    void set_plans(std::shared_ptr<const PlanBook> plans) noexcept;
    const PlanBook* plans() const noexcept { return plans_.get(); }
    // The plan the server wants for `host` and the one its agent runs, as of the plans in force.
    // O(1) once the host was heard from since they were set, else one PlanBook::match().
    HostPlanView plan_of(const HostRecord& host) const noexcept;

    // Keeps the names of forgotten hosts for take_forgotten() (off by default, so that a server
    // without storage does not accumulate them).
    void track_forgotten(bool on) noexcept { track_forgotten_ = on; }
    // Names of the hosts forgotten since the last call (for the storage to drop them too).
    std::vector<std::string> take_forgotten() { return std::exchange(forgotten_, {}); }

    const Registry& registry() const noexcept { return registry_; }
    const Liveness& liveness() const noexcept { return liveness_; }
    const IngestStats& stats() const noexcept { return stats_; }

  private:
    // Stores the beat's metrics, received at `now_ms` and accepted at `accepted_s` (Unix
    // seconds), under host.metric.
    void store_metrics(HostRecord& host, const HeartbeatView& hb, bool latest, std::int64_t now_ms,
                       std::int64_t accepted_s);
    // Releases the host's metric names that have outlived the store's retention.
    void release_stale_metrics(HostRecord& host, std::int64_t now_ms);
    // Reports the host's refused metric values when there are some and the report is due.
    void report_refused_metrics(HostRecord& host, std::int64_t now_ms);
    void refuse(Refusal reason, std::string_view host, const SourceAddress& from,
                std::int64_t now_ms);
    // An answer to a probe (or anything else in the control format, which is refused).
    void on_control(std::string_view datagram, const SourceAddress& from, std::int64_t now_ms);
    // Sends `host` a control datagram of `type` carrying `number` (and `payload`, a plan's
    // body), signed with its key when the server has one.
    void send_control(ControlType type, const HostRecord& host, std::uint64_t number,
                      std::int64_t now_unix_ms, std::string_view payload = {});
    // Matches `host` against the plans in force unless it was matched since they were set.
    void refresh_plan(HostRecord& host) const noexcept;
    // After a beat: sends the host its plan when its agent runs another, or reports PlanApplied
    // when it runs the plan sent it.
    void follow_plan(HostRecord& host, std::int64_t now_ms, std::int64_t now_unix_ms);
    // A fresh probe nonce: SipHash of a counter under nonce_key.
    std::uint64_t next_nonce() noexcept;

    MonitorConfig config_;
    Store& store_;
    EventSink& events_;
    DatagramOut* out_;
    Event refused_{DatagramRefused{}};  // Reused for every refusal (see refuse()).
    Registry registry_;
    Liveness liveness_;
    IngestStats stats_;
    std::string key_scratch_;
    std::string control_scratch_;
    std::uint64_t nonce_counter_ = 0;
    // Unix time less monotonic time, as of the latest datagram (for the probes' time field).
    std::int64_t unix_offset_ms_ = 0;
    std::int64_t held_report_due_ms_ = 0;
    std::uint64_t budget_reported_ = 0;
    std::int64_t budget_report_due_ms_ = 0;
    std::vector<std::string> forgotten_;
    bool track_forgotten_ = false;
    std::shared_ptr<const PlanBook> plans_;
    std::uint32_t plans_generation_ = 1;  // One more at each set_plans(); hosts start at 0.
    std::string local_body_;              // The local plan (local_plan()), encoded,
    std::uint32_t local_version_ = 0;     // and its version.
};

}  // namespace beat
