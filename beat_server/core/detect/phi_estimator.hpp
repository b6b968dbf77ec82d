// The phi accrual failure detector (Hayashibara et al., 2004; as in Akka and Cassandra), made
// aware of lost beats, of bursts of loss and of stalls.
//
// phi is -log10 of the chance that a live host stays unheard for as long as it has been: 1 means a
// one-in-ten silence, 8 a one-in-a-hundred-million one. The classic detector models only the next
// beat (normal arrival time, mean and deviation of the recent intervals, plus an acceptable
// pause), so on a link that drops beats it either reports every few lost beats or needs a large
// pause everywhere. Here beat j after the last one heard (j = 1, 2, ...) is lost with the host's
// loss rate q (for j > 1: with its burst rate, the chance that a loss follows a loss, where that
// is higher), or else arrives at j * mean with deviation stddev * sqrt(j); or else the agent
// stalls (a GC pause, a busy or frozen node) for up to the acceptable pause, which delays every
// beat after it by the pause and is taken as a one-in-10^kStallPhi event:
//
//     P(t) = prod over j of ( q_j + (1 - q_j) * P(beat j arrives after t) )
//     phi(t) = -log10( (1 - s) * P(t) + s * P(t - pause) ),   s = 10^-kStallPhi
//
// Each beat that is surely due by t adds -log10(q) to phi, so a host that loses 5% of its beats
// is declared silent after about 8 / 1.3 = 6 missing beats, and a host on a clean link (q = 0) as
// soon as its next beat is improbably late even for a stall of the acceptable pause. The pause is
// paid for once, not once per missing beat, so on a lossy link it does not add to the wait. The
// threshold keeps its meaning whatever the loss: a live host is declared silent about once in
// 10^threshold beats (a stall up to the pause is tolerated for thresholds above kStallPhi).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace beat {

// The phi detector's settings. Durations are in the host's advertised intervals, so that a host
// beating every second and one beating every minute are each judged by their own rhythm.
struct PhiSettings {
    double threshold = 8;               // Silent when phi reaches this (Akka's default).
    double pause_intervals = 1.5;       // Acceptable pause: a stall this long is tolerated.
    double min_stddev_intervals = 0.1;  // Floor of the deviation (Akka: 100 ms at 1 s).
    // Until a host has this many measured intervals, its advertised interval stands in for their
    // mean and the floor for their deviation.
    std::uint32_t warmup = 10;
};

// What phi is computed from, in milliseconds.
struct PhiModel {
    double mean_ms = 0;    // The interval between beats.
    double stddev_ms = 0;  // Its deviation, between the floor and mean_ms.
    double loss = 0;       // Chance that a beat is lost, in [0, kMaxLoss].
    // Chance that a beat is lost when the one before it was, in [0, kMaxLoss]; where it is above
    // `loss` (losses come in bursts) it stands for every missing beat after the first.
    double burst = 0;
    double pause_ms = 0;  // The acceptable pause; 0: no stall is allowed for.
};

// How rare a stall of up to the acceptable pause is taken to be: one in 10^kStallPhi silences.
// It is what a stall costs in phi, so a stall up to the pause keeps phi at about 3 and a host is
// declared silent once even a stall would not explain its silence.
inline constexpr double kStallPhi = 3;

// Loss rates above this are taken as this: beyond it the model needs so many missing beats that
// a host is better called silent (and it bounds the work per computation).
inline constexpr double kMaxLoss = 0.5;

// phi after `elapsed_ms` without a beat. Non-decreasing in elapsed_ms; +infinity once no live host
// could be that late (possible only when m.loss is 0). Cost: one term per beat that is due.
double phi(const PhiModel& m, double elapsed_ms) noexcept;

// The smallest elapsed time (ms, to within 0.5 ms) at which phi(m, elapsed) >= threshold, for a
// threshold in [0.1, 16]. A closed form for well-separated beats, refined by safeguarded Newton
// steps: usually one or two evaluations of phi.
double phi_crossing_ms(const PhiModel& m, double threshold) noexcept;

// A host's recent inter-arrival times: the last kWindow intervals, with running sums so that a
// new sample, the mean and the deviation each cost O(1).
class PhiEstimator {
  public:
    static constexpr std::size_t kWindow = 100;

    // Records that the newest beat arrived `gap_ms` after the previous newest one, with `lost`
    // beats lost between them: lost + 1 intervals of gap_ms / (lost + 1) each, not one slow
    // interval (they count as one sample, so a long gap does not flush the window).
    void record(double gap_ms, std::uint64_t lost) noexcept;
    // Forgets every sample (e.g. when the host changes its interval).
    void clear() noexcept;

    double mean_ms() const noexcept;    // 0 without samples.
    double stddev_ms() const noexcept;  // 0 with fewer than two samples.

    // The model for a host advertising `interval_ms` whose loss rate is `loss`: the measured mean
    // and deviation once there are s.warmup samples, the advertised interval before.
    PhiModel model(std::uint32_t interval_ms, double loss, double burst,
                   const PhiSettings& s) const noexcept;

  private:
    std::array<float, kWindow> ring_{};
    std::uint32_t size_ = 0;
    std::uint32_t next_ = 0;
    // Sums over the window; recomputed from the ring each time it wraps, so rounding errors
    // cannot pile up.
    double sum_ = 0;
    double sum_sq_ = 0;
};

}  // namespace beat
