#include "beat_client/core/ack_tracker.hpp"

#include <algorithm>
#include <limits>

namespace beat {

AckChange AckTracker::on_beat_sent(std::uint64_t sequence, std::int64_t now_us) noexcept {
    last_sent_ = sequence;
    last_sent_us_ = now_us;
    if (unacked_ < std::numeric_limits<std::uint32_t>::max()) ++unacked_;
    if (unacked_ < kUnackedLimit || state_ == AckState::unheard) return AckChange::none;
    const AckChange change = state_ == AckState::unknown ? AckChange::never_heard : AckChange::lost;
    state_ = AckState::unheard;
    return change;
}

AckChange AckTracker::on_ack(std::uint64_t sequence, std::int64_t now_us, bool* accepted) noexcept {
    const bool ok = sequence >= 1 && sequence <= last_sent_;
    if (accepted) *accepted = ok;
    if (!ok) return AckChange::none;
    if (sequence == last_sent_ && sequence > last_acked_) round_trip_us_ = now_us - last_sent_us_;
    last_acked_ = std::max(last_acked_, sequence);
    unacked_ = 0;
    const AckState before = state_;
    state_ = AckState::heard;
    switch (before) {
        case AckState::unknown:
            return AckChange::first_heard;
        case AckState::unheard:
            return AckChange::regained;
        case AckState::heard:
            break;
    }
    return AckChange::none;
}

}  // namespace beat
