// The failure detector: which hosts are up, which have gone silent, which are flapping.
//
// Two detectors share one schedule. The fixed one declares a host silent once it has not been
// heard for its timeout (a fixed one, or a multiple of the interval it advertises). The phi one
// declares it silent once phi reaches the threshold (phi_estimator.hpp: the host's own intervals,
// deviation and loss rate; its advertised interval until a few intervals are measured). Either
// way each beat computes the moment the host will be silent if nothing more arrives, and queues
// the host at that moment (deadline_queue.hpp): a beat costs O(log hosts), and nothing runs
// between deadlines. Flap damping (flap_damper.hpp) decides which changes are reported. Time is
// always a parameter.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "beat_server/core/detect/deadline_queue.hpp"
#include "beat_server/core/detect/flap_damper.hpp"
#include "beat_server/core/detect/loss_rate.hpp"
#include "beat_server/core/detect/phi_estimator.hpp"
#include "beat_server/core/detect/probe_budget.hpp"
#include "beat_server/core/detect/probe_settings.hpp"
#include "beat_server/core/detect/probe_track.hpp"

namespace beat {

// An intrusive doubly linked list of LivenessNodes with O(1) push_back and unlink.
struct LivenessNode;
class NodeList {
  public:
    NodeList() noexcept { head_.prev = head_.next = &head_; }
    NodeList(const NodeList&) = delete;
    NodeList& operator=(const NodeList&) = delete;

    bool empty() const noexcept { return head_.next == &head_; }
    void push_back(LivenessNode& n) noexcept;
    static void unlink(LivenessNode& n) noexcept;
    std::size_t size() const noexcept { return size_; }

    template <typename F>
    void for_each(F&& f) const {
        for (Link* l = head_.next; l != &head_;) {
            Link* next = l->next;  // f may unlink the node it is given.
            f(*l->node);
            l = next;
        }
    }

    struct Link {
        Link* prev = nullptr;
        Link* next = nullptr;
        NodeList* list = nullptr;
        LivenessNode* node = nullptr;
    };

  private:
    Link head_;
    std::size_t size_ = 0;
};

enum class HostState : std::uint8_t { unknown, up, silent };

enum class DetectorKind : std::uint8_t { fixed, phi, probe };

// How a host is judged right now: the probe detector judges a host whose agent does not answer
// probes (yet) by phi.
enum class JudgedBy : std::uint8_t { fixed, phi, probe };
std::string_view to_string(JudgedBy j) noexcept;

// The detector's settings, apart from a fixed timeout (see Liveness).
struct DetectorConfig {
    DetectorKind kind = DetectorKind::fixed;  // The server's default is in ServerConfig.
    int multiplier = 3;  // The fixed timeout is multiplier x the advertised interval.
    PhiSettings phi;
    ProbeSettings probe;
    FlapSettings flap;
};

// How a beat relates to the one before it, as the sequence numbers tell.
enum class Arrival : std::uint8_t {
    fresh,     // Nothing to measure from: a new host, an agent restart.
    next,      // The newest beat so far; `lost` beats were skipped since the previous newest.
    late,      // A reordered beat: a sign of life, but no interval to measure.
    restored,  // A host kept across a server restart: one fixed timeout of grace, whatever the
               // detector, since nothing is known of how it fared meanwhile.
};

// The phi detector's per-host state; allocated for the phi detector only.
struct PhiTrack {
    PhiEstimator intervals;
    PhiModel model;                    // As of the latest beat.
    std::int64_t sample_from_ms = -1;  // Arrival of the newest beat; -1: no interval is open.
    // Where phi reaches the threshold under `solved`, which `model` may have drifted from a
    // little (see Liveness::timeout_of); -1 before the first computation.
    PhiModel solved;
    double crossing_ms = -1;
    bool grace = false;  // The host is restored and has the fixed timeout, not phi's.
};

// The detector's state for one host; embedded in the host's record.
struct LivenessNode {
    LivenessNode() noexcept { link.node = this; }
    LivenessNode(const LivenessNode&) = delete;
    LivenessNode& operator=(const LivenessNode&) = delete;

    DeadlineHook hook;    // Queued while up (silence due) or flapping (settling due).
    NodeList::Link link;  // In the silent list while silent.
    // Which host this is, as its owner (the registry) numbers them, so that a node handed out by
    // expire() or for_each_silent() leads back to its host. The detector never reads it.
    std::uint32_t host_id = 0;
    HostState state = HostState::unknown;
    std::uint32_t interval_ms = 0;     // As advertised in the latest beat.
    std::int64_t heard_ms = 0;         // When the latest beat arrived.
    std::int64_t timeout_ms = 0;       // Silent once this long has passed since heard_ms.
    std::int64_t silent_since_ms = 0;  // While silent: when that was detected.
    // While up, the detector looks at the host again no earlier than this (a probe due, a
    // verdict held), even when heard_ms + timeout_ms has passed.
    std::int64_t wake_ms = 0;
    LossRate loss;
    FlapDamper flap;
    std::unique_ptr<PhiTrack> phi;      // phi and probe detectors.
    std::unique_ptr<ProbeTrack> probe;  // Probe detector.
    JudgedBy judged = JudgedBy::fixed;
    bool counted = false;  // Counted in Liveness::judged_count().

    bool flapping() const noexcept { return flap.flapping(); }
};

// What the detector can say about a host at a given moment, for logs and queries.
struct DetectorReading {
    std::optional<double> phi;     // With the phi detector, and the probe detector's fallback.
    double loss = 0;               // Recent share of beats lost.
    std::int64_t expected_ms = 0;  // When its next beat is (or was) expected.
    JudgedBy judged_by = JudgedBy::fixed;  // How the host is judged now.
};
DetectorReading read_detector(const LivenessNode& n, std::int64_t now_ms) noexcept;

// What expire() reports about a host.
enum class Change : std::uint8_t {
    silent,         // It went silent.
    flapping,       // It went silent once too often: it flaps (report this instead).
    silent_damped,  // It went silent while flapping (not to be reported).
    settled,        // It stopped flapping; its state is up or silent.
    probe,          // Send it a probe with nonce probe->nonce + probe->sent - 1 (the first of a
                    // suspicion: choose probe->nonce first).
    held,           // Its verdict is held: too many hosts are suspected at once (VerdictsHeld).
};

class Liveness {
  public:
    // `fixed_timeout_ms` set: the fixed timeout of every host; otherwise config.multiplier x the
    // host's advertised interval.
    explicit Liveness(const DetectorConfig& config = {},
                      std::optional<std::int64_t> fixed_timeout_ms = {}) noexcept
        : config_(config),
          fixed_timeout_ms_(fixed_timeout_ms),
          budget_(config.probe.budget_per_s) {}

    // The fixed timeout of a host advertising `interval_ms`.
    std::int64_t timeout_for(std::uint32_t interval_ms) const noexcept;

    // Records that the host of `n` was heard at `now_ms` advertising `interval_ms`; `arrival` and
    // `lost` tell whether an interval can be measured and how many beats were lost (of a gap
    // across a silence only the beats lost while the detector waited count, and no interval). The
    // host is up until now + its timeout. Returns
    // the state it had before (unknown for a new host); a return from silence is reported unless
    // n.flapping(). O(log hosts).
    HostState beat(LivenessNode& n, std::uint32_t interval_ms, std::int64_t now_ms,
                   Arrival arrival = Arrival::fresh, std::uint64_t lost = 0);

    // Applies every silence and settling due at or before `now_ms`, earliest first, and calls
    // `on_change(LivenessNode&, Change)` for each. Returns how many. O(log hosts) each.
    template <typename F>
    std::size_t expire(std::int64_t now_ms, F&& on_change);

    // The earliest moment expire() has something to do, or nullopt when nothing is queued.
    std::optional<std::int64_t> next_deadline() const noexcept;

    // Probe detector: after beat(), true when a discovery probe is to be sent to the host now
    // (its agent has not answered one in this run yet); the caller sets n.probe->nonce and sends
    // it. Takes from the probe budget.
    bool discover(LivenessNode& n, std::int64_t now_ms);
    // Probe detector: the host answered probe `index` (its nonce less n.probe->nonce) of the
    // probing open now (the caller checked index < n.probe->sent). A sign of life, not an
    // interval: the host is up until a new suspicion, judged by probes from now on. False when
    // nothing was open or the host is not up (the answer is stale).
    bool answered(LivenessNode& n, std::uint64_t index, std::int64_t now_ms);
    // No host is declared silent before `until_ms`, and beats until then measure no interval
    // (the server's own loop stalled; they may have waited unread).
    void hold_until(std::int64_t until_ms) noexcept;

    // Forgets `n` (e.g. before its host record is dropped).
    void remove(LivenessNode& n) noexcept;

    // Calls f(LivenessNode&) for each silent host in the order they were detected; f may remove().
    template <typename F>
    void for_each_silent(F&& f) const {
        silent_.for_each(f);
    }

    std::size_t up_count() const noexcept { return up_; }
    std::size_t silent_count() const noexcept { return silent_.size(); }
    std::size_t flapping_count() const noexcept { return flapping_; }   // Up or silent.
    std::size_t suspected_count() const noexcept { return suspects_; }  // Being probed.
    std::uint64_t probes_over_budget() const noexcept { return budget_.refused(); }
    // Hosts (up or silent) judged by `j` now.
    std::size_t judged_count(JudgedBy j) const noexcept {
        return judged_[static_cast<std::size_t>(j)];
    }
    const DetectorConfig& config() const noexcept { return config_; }

  private:
    std::int64_t timeout_of(LivenessNode& n, Arrival arrival) const noexcept;
    void measure(LivenessNode& n, std::int64_t now_ms, Arrival arrival, std::uint64_t lost,
                 HostState before);
    // Applies what is due for the queue's top node at `now_ms` and requeues it; nullopt when a
    // phi deadline turns out early (see timeout_of) and the host is requeued for later.
    std::optional<Change> advance(LivenessNode& n, std::int64_t now_ms);
    void requeue(LivenessNode& n);
    std::optional<Change> advance_probe(LivenessNode& n, std::int64_t now_ms);
    std::optional<Change> declare_silent(LivenessNode& n, std::int64_t now_ms);
    // Closes the open suspicion of `n`: the probes counted unanswered by now, less the one
    // `answered` (its index), are recorded as failures.
    void close_suspicion(LivenessNode& n, std::int64_t now_ms,
                         std::optional<std::uint64_t> answered);
    void rejudge(LivenessNode& n) noexcept;

    DetectorConfig config_;
    std::optional<std::int64_t> fixed_timeout_ms_;
    DeadlineQueue<LivenessNode> queue_;
    NodeList silent_;
    std::size_t up_ = 0;
    std::size_t flapping_ = 0;
    std::size_t suspects_ = 0;
    std::array<std::size_t, 3> judged_{};
    ProbeBudget budget_;
    std::int64_t hold_until_ms_ = 0;
};

template <typename F>
std::size_t Liveness::expire(std::int64_t now_ms, F&& on_change) {
    std::size_t n = 0;
    while (!queue_.empty() && queue_.next_deadline() <= now_ms) {
        LivenessNode& node = queue_.top();
        if (const std::optional<Change> c = advance(node, now_ms)) {
            ++n;
            on_change(node, *c);
        }
    }
    return n;
}

}  // namespace beat
