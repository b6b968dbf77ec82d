// A host's recent loss rate: the share of its beats that never arrived, learnt from sequence gaps.
#pragma once

#include <cmath>
#include <cstdint>

namespace beat {

// Lost and expected beats counted with exponential decay, so that the rate follows the link as
// it changes: a beat `horizon` intervals ago weighs 1/e of one now. O(1) time and 16 bytes.
class LossRate {
  public:
    static constexpr double kHorizon = 1000;  // In beat intervals.

    // Records one received beat that came after `lost` lost ones (lost + 1 intervals).
    void record(std::uint64_t lost) noexcept {
        const double spanned = static_cast<double>(lost) + 1;
        const double keep = lost == 0 ? kKeepOne : std::exp(-spanned / kHorizon);
        lost_ = lost_ * keep + static_cast<double>(lost);
        expected_ = expected_ * keep + spanned;
    }

    // The share of beats lost, 0 before anything was recorded.
    double rate() const noexcept { return expected_ > 0 ? lost_ / expected_ : 0; }

  private:
    static inline const double kKeepOne = std::exp(-1 / kHorizon);
    double lost_ = 0;
    double expected_ = 0;
};

}  // namespace beat
