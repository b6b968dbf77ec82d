// A host's recent loss rate (the share of its beats that never arrived) and burst rate (how often a
// loss follows a loss), learnt from sequence gaps.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace beat {

// Lost and expected beats and runs of loss counted with exponential decay, so that the rate follows
// the link as it changes: a beat `horizon` intervals ago weighs 1/e of one now. O(1) time and 24
// bytes.
class LossRate {
  public:
    static constexpr double kHorizon = 1000;  // In beat intervals.

    // Records one received beat that came after `lost` lost ones (lost + 1 intervals).
    void record(std::uint64_t lost) noexcept {
        const double spanned = static_cast<double>(lost) + 1;
        const double keep = lost == 0 ? kKeepOne : std::exp(-spanned / kHorizon);
        lost_ = lost_ * keep + static_cast<double>(lost);
        expected_ = expected_ * keep + spanned;
        runs_ = runs_ * keep + (lost > 0 ? 1 : 0);
    }

    // Records `lost` losses that no arrival has ended (yet): a run of unanswered probes that a
    // beat, not an answer, ended.
    void record_lost(std::uint64_t lost) noexcept {
        if (lost == 0) return;
        const double keep = std::exp(-static_cast<double>(lost) / kHorizon);
        lost_ = lost_ * keep + static_cast<double>(lost);
        expected_ = expected_ * keep + static_cast<double>(lost);
        runs_ = runs_ * keep + 1;
    }

    // The share of beats lost, 0 before anything was recorded.
    double rate() const noexcept { return expected_ > 0 ? lost_ / expected_ : 0; }

    // The share the failure detector reckons with: rate(), but a host whose link is not yet
    // known is taken to lose kPriorLost beats in kPriorExpected, a prior that fades as the
    // host's own beats pile up (it weighs what a beat as old as the first one does: 1/e after
    // kHorizon intervals). A few dozen clean beats do not prove a clean link, and a detector that
    // believed them would take the first two beats lost in a row for a death.
    double cautious_rate() const noexcept {
        // expected_ approaches kSaturation as 1 - e^(-beats / kHorizon).
        const double prior = std::max(0.0, 1 - expected_ / kSaturation);
        return (lost_ + prior * kPriorLost) / (expected_ + prior * kPriorExpected);
    }

    // The chance the detector reckons with that a beat is lost when the one before it was: of
    // the lost beats, the share that followed a lost one, drawn towards cautious_rate() (where
    // independent losses would put it) by kBurstPrior lost beats' worth so that a handful of
    // runs cannot swing it. Above cautious_rate() when losses come in bursts.
    double cautious_burst() const noexcept {
        const double prior = std::max(0.0, 1 - expected_ / kSaturation);
        const double lost = lost_ + prior * kPriorLost;
        const double runs = runs_ + prior * kPriorLost;  // The prior's losses are single.
        return (lost - runs + kBurstPrior * cautious_rate()) / (lost + kBurstPrior);
    }

    // As cautious_burst(), but drawn towards kMaxWary (a link that loses 7 in 10 of what follows a
    // loss) rather than towards the loss rate: what the probe detector reckons with, since a
    // link's bursts are not known until it has had some, and taking them for independent losses
    // would make a run of unanswered probes look like a death.
    double wary_burst() const noexcept {
        const double prior = std::max(0.0, 1 - expected_ / kSaturation);
        const double lost = lost_ + prior * kPriorLost;
        const double runs = runs_ + prior * kPriorLost;
        return (lost - runs + kBurstPrior * kMaxWary) / (lost + kBurstPrior);
    }

    static constexpr double kBurstPrior = 20;
    static constexpr double kMaxWary = 0.7;
    static constexpr double kPriorLost = 0.5;
    static constexpr double kPriorExpected = 10;

  private:
    static inline const double kKeepOne = std::exp(-1 / kHorizon);
    static inline const double kSaturation = 1 / (1 - kKeepOne);  // expected_ in the long run.
    double lost_ = 0;
    double expected_ = 0;
    double runs_ = 0;  // Runs of lost beats, one per gap.
};

}  // namespace beat
