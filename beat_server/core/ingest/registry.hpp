// The host registry: what beat knows about every host it has heard from.
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "beat_server/core/detect/liveness.hpp"
#include "beat_server/core/ingest/host_plan.hpp"
#include "beat_server/core/ingest/metric_slots.hpp"
#include "beat_server/core/ingest/sequence_window.hpp"
#include "beat_server/core/ingest/source_address.hpp"
#include "beat_server/core/ingest/transition_ring.hpp"
#include "common/string_hash.hpp"
#include "common/wire.hpp"

namespace beat {

// Times are in milliseconds of the server's monotonic clock unless named otherwise.
struct HostRecord {
    std::string_view name;  // Points at the registry's key.
    // Records added to the registry before this one: a host added later has a larger number, also
    // when it takes the index or the name of a removed one.
    std::uint64_t serial = 0;
    SourceAddress address;  // Where the last accepted datagram came from.
    SequenceWindow sequence;
    std::uint64_t parts_sequence = 0;   // The sequence whose datagrams parts_seen tracks.
    std::bitset<kMaxParts> parts_seen;  // Bit p: part p of that beat arrived (every part).
    std::uint32_t interval_ms = 0;      // As the agent advertises it.
    std::int64_t first_seen_ms = 0;
    std::int64_t last_seen_ms = 0;
    std::int64_t last_send_time_ms = 0;  // The agent's clock, Unix milliseconds.
    // The send time of the first datagram accepted from the current incarnation (agent clock):
    // a different incarnation must be newer than this to count as a restart.
    std::int64_t incarnation_start_ms = 0;
    std::uint64_t beats = 0;       // Beats received (a beat split in parts counts once).
    std::uint64_t lost = 0;        // Beats lost, from sequence gaps.
    std::uint64_t restarts = 0;    // New incarnations seen after the first.
    std::uint64_t duplicates = 0;  // Datagrams dropped as already seen or too old.
    MetricSlots metrics;           // Latest values, in the order first received.
    // Metric values refused because their name would exceed --max-metrics-per-host: in all, and
    // since the last MetricsRefused event, which is due no earlier than the time after.
    std::uint64_t metrics_refused = 0;
    std::uint64_t metrics_refused_unreported = 0;
    std::int64_t metrics_refused_report_due_ms = std::numeric_limits<std::int64_t>::min();
    HostPlan plan;          // The plan its agent runs, and the one the server wants it to run.
    LivenessNode liveness;  // Its host_id is the record's index in the registry.
    // Its latest transitions as the monitor reported them (events.hpp), monotonic ms.
    TransitionRing transitions;
    // Its latest beat was a PyHeartBeat datagram (pyheartbeat.hpp): no sequence, so no loss.
    bool legacy = false;
};

// Records are found by name, or in O(1) by the index each one's liveness.host_id holds (how the
// detector's nodes lead back to their hosts). A record stays in place until it is removed; its
// index may then be given to a later host.
class Registry {
  public:
    // The record for `name`, or nullptr.
    HostRecord* find(std::string_view name) noexcept;
    const HostRecord* find(std::string_view name) const noexcept;
    // The record whose liveness.host_id is `id`; `id` must belong to a record not removed.
    HostRecord& at(std::uint32_t id) noexcept { return *by_id_[id]; }
    // Creates the record for a new host (`name` must not be known yet) and gives it an index.
    // Throws std::length_error once 2^32 hosts are known at once.
    HostRecord& add(std::string_view name, std::int64_t now_ms);
    // Drops a record and frees its index; the caller has removed it from the detector first.
    void remove(HostRecord& host);

    std::size_t size() const noexcept { return hosts_.size(); }
    // Records added since the registry was made: the serial the next one will get.
    std::uint64_t added() const noexcept { return added_; }
    // One past the highest index in use or free: every record's index is below it.
    std::uint32_t index_end() const noexcept { return static_cast<std::uint32_t>(by_id_.size()); }
    // The record at index `id`, or nullptr when the index is free or not below index_end(). A walk
    // over the indexes can be resumed after the registry changed: it meets every record present
    // throughout once (by its index, which a record keeps for its life).
    const HostRecord* at_index(std::uint32_t id) const noexcept {
        return id < by_id_.size() ? by_id_[id] : nullptr;
    }
    template <typename F>
    void for_each(F&& f) const {
        for (const auto& [name, host] : hosts_)
            f(host);
    }

  private:
    std::unordered_map<std::string, HostRecord, StringHash, std::equal_to<>> hosts_;
    std::vector<HostRecord*> by_id_;       // nullptr: a free index.
    std::vector<std::uint32_t> free_ids_;  // Freed indexes, reused before by_id_ grows.
    std::uint64_t added_ = 0;
};

}  // namespace beat
