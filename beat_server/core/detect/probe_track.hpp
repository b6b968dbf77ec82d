// The probe detector's per-host state and arithmetic (docs/detector.md, "The probe detector").
//
// A host judged by probes is suspected once its beat is late (ProbeSettings::suspect_*). The
// server then probes it, spreading up to max_probes probes so that, if none is answered, the
// evidence reaches the threshold about target_intervals after the last sign of life. The evidence
// is -log10 of the chance that a live host stays this quiet:
//
//     E(t) = phi0(t) + u(t) x e,     e = -log10(f)
//
// where phi0 is phi of the host's beats without an allowance for stalls (a stalled agent answers
// no probe either), u(t) the probes counted unanswered by t (each once a round trip bound has
// passed since it was sent), and f the chance that a probe of this host goes unanswered while it
// lives: the larger of its measured probe failure rate, its failure rate after a failure (bursts),
// and its beats' loss and burst rates (an answer crosses the same way in as a beat). A beat or an
// answer ends the suspicion. A host whose agent has not answered a probe in this run is judged by
// phi instead.
#pragma once

#include <cstdint>

#include "beat_server/core/detect/loss_rate.hpp"
#include "beat_server/core/detect/phi_estimator.hpp"
#include "beat_server/core/detect/probe_settings.hpp"

namespace beat {

struct ProbeTrack {
    LossRate outcomes;  // Probes answered (received) and unanswered (lost).
    // Judged by probes: the agent answered a probe in this run, or in the previous one and this
    // one's discovery probes have not all gone unanswered yet.
    bool answers = false;
    bool confirmed = false;                // The agent answered a probe in this run.
    std::uint32_t discovery_tries = 0;     // Discovery probes sent in this run.
    std::uint32_t beats_to_discovery = 0;  // Beats until the next discovery probe.
    double rtt_ms = 0;                     // Largest recent round trip, decaying.

    // The open probing: a discovery probe, or the probes of a suspicion.
    bool discovering = false;
    bool suspecting = false;
    std::uint64_t nonce = 0;      // The first probe's nonce; probe i carries nonce + i.
    std::uint32_t sent = 0;       // Probes sent since it opened.
    std::int64_t first_ms = 0;    // When it opened (the first probe's due time).
    std::int64_t spacing_ms = 0;  // Between probes.
    std::int64_t due_ms = 0;      // When the detector next looks at the host.
    std::int64_t held_ms = 0;     // Verdict held this long for a mass suspicion.
    double evidence_per_probe = 0;
};

// The chance that a probe of a live host goes unanswered, as the detector reckons it from the
// probes' outcomes and the beats' loss: the largest of the probes' failure rate, their wary
// burst rate, a round trip over two links each losing as the beats' link does (1 - (1 - q)^2),
// and the beats' wary burst rate (LossRate::wary_burst()).
double probe_failure(const ProbeTrack& t, const LossRate& beats) noexcept;

// How long after its last sign of life a host with model `m` (mean and deviation) is suspected.
double suspect_after_ms(const PhiModel& m, const ProbeSettings& s) noexcept;

// How long after sending a probe its answer is waited for before it counts as unanswered: three
// of the host's recent round trips, and no less than the minimum spacing (of a host whose mean
// interval is `mean_ms`).
std::int64_t answer_wait_ms(const ProbeTrack& t, const ProbeSettings& s, double mean_ms) noexcept;

// Probes of the open suspicion counted unanswered at `now_ms`.
std::uint32_t unanswered(const ProbeTrack& t, std::int64_t now_ms, const ProbeSettings& s,
                         double mean_ms) noexcept;

// The spacing of a suspicion opened `since_heard_ms` after the last sign of life: the probes
// needed for the evidence to reach the threshold by target_intervals (at least min_probes),
// spread over the time left until then less the last one's answer wait, never closer than the
// minimum spacing.
std::int64_t probe_spacing_ms(const PhiModel& m, double since_heard_ms, double evidence_per_probe,
                              std::int64_t answer_wait, const ProbeSettings& s) noexcept;

}  // namespace beat
