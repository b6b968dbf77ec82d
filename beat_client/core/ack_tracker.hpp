// Whether a server acknowledges this agent's beats (docs/datagram.md, "Control datagrams"): the
// server acknowledges every 4th sequence, the first beat of a run and the first after a silence,
// so an agent whose beats arrive and whose acknowledgements come back hears one every few beats.
// Pure: the time is passed in.
#pragma once

#include <cstdint>
#include <optional>

namespace beat {

// Beats in a row without any acknowledgement after which a server counts as not acknowledging.
// 20 beats give 5 chances at one acknowledgement per 4 beats: at 20% loss each way a beat or its
// acknowledgement is lost with 1 - 0.8 x 0.8 = 36%, and all 5 with 0.36^5 = 0.6%, so a lossy but
// working path is almost never taken for a dead one, and a dead one is noticed within 20 beats.
inline constexpr std::uint32_t kUnackedLimit = 20;

enum class AckState : std::uint8_t {
    unknown,  // Neither acknowledged yet nor kUnackedLimit beats without one.
    heard,    // Acknowledged a beat of this run since the last kUnackedLimit beats.
    unheard,  // kUnackedLimit beats in a row went out without an acknowledgement.
};

// A change of state, reported once when it happens.
enum class AckChange : std::uint8_t {
    none,
    first_heard,  // unknown -> heard: the server acknowledges.
    never_heard,  // unknown -> unheard: it never acknowledged (an older server, or no way back).
    lost,         // heard -> unheard: it stopped acknowledging.
    regained,     // unheard -> heard: it acknowledges (again, or for the first time).
};

class AckTracker {
  public:
    // A beat of sequence `sequence` (increasing) went out at monotonic time `now_us`.
    AckChange on_beat_sent(std::uint64_t sequence, std::int64_t now_us) noexcept;

    // The server acknowledged `sequence` at monotonic time `now_us`. An acknowledgement of a beat
    // not sent yet (0, or beyond the last one) is ignored and returns none with false in
    // `*accepted` when given. Measures the round trip when it acknowledges the last beat sent.
    AckChange on_ack(std::uint64_t sequence, std::int64_t now_us,
                     bool* accepted = nullptr) noexcept;

    AckState state() const noexcept { return state_; }
    // Beats sent since the last acknowledgement (or since the start).
    std::uint32_t unacked() const noexcept { return unacked_; }
    // The highest sequence acknowledged, 0 before the first acknowledgement.
    std::uint64_t last_acked() const noexcept { return last_acked_; }
    // From sending the last beat acknowledged on arrival to its acknowledgement, in microseconds.
    std::optional<std::int64_t> round_trip_us() const noexcept { return round_trip_us_; }

  private:
    AckState state_ = AckState::unknown;
    std::uint32_t unacked_ = 0;
    std::uint64_t last_sent_ = 0;
    std::int64_t last_sent_us_ = 0;
    std::uint64_t last_acked_ = 0;
    std::optional<std::int64_t> round_trip_us_;
};

}  // namespace beat
