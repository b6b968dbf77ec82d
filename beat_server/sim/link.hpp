// One direction of a simulated link: the state of its Gilbert-Elliott chain (LinkModel), which
// every datagram sent that way advances.
#pragma once

#include <cstdint>
#include <optional>

#include "beat_client/core/jitter.hpp"
#include "beat_server/sim/scenario.hpp"

namespace beat::sim {

// A draw from the exponential distribution with this mean; it takes one number from `rng` even
// for a mean of 0, so that the draws that follow do not depend on the mean.
double exponential(Random& rng, double mean);

class LinkChain {
  public:
    // Carries one datagram sent now over a link behaving as `l`: advances the chain and returns
    // the datagram's delay in ms, or nullopt when it is lost. Takes from `rng`, in this order: the
    // start of a bad spell (only when good and burst_start > 0), the loss, the end of the spell
    // (only when bad), the delay's jitter (only when carried).
    std::optional<std::int64_t> carry(const LinkModel& l, Random& rng);
    bool bad() const noexcept { return bad_; }

  private:
    bool bad_ = false;
};

}  // namespace beat::sim
