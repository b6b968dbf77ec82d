// Flap damping: a host that keeps going silent and coming back is reported as flapping once, not
// at every change, and once more when it settles.
//
// The rule, per host: when it goes silent for the `silences`-th time within `span_timeouts` of its
// timeouts (the time it takes to be declared silent, so that the span fits the host's rhythm and
// its link), it is reported flapping instead of silent. While it flaps, its silences and returns
// are not reported. Once it has stayed up, or stayed silent, for `settle_timeouts` timeouts it is
// reported settled in that state, and its count starts afresh. A death while flapping is thus
// reported settle_timeouts timeouts after the host was last declared silent.
#pragma once

#include <array>
#include <cstdint>

namespace beat {

struct FlapSettings {
    static constexpr std::uint32_t kMaxSilences = 5;
    std::uint32_t silences = 3;  // In [2, kMaxSilences]; 0 turns damping off.
    double span_timeouts = 20;
    double settle_timeouts = 10;
};

// One host's flap history. O(1) per change.
class FlapDamper {
  public:
    enum class Verdict : std::uint8_t {
        report,    // Report the change as usual.
        flapping,  // The host has just started to flap: report that instead.
        quiet,     // The host is flapping: say nothing.
    };

    // The host went silent at `now_ms`; `timeout_ms` is its current timeout.
    Verdict silent(std::int64_t now_ms, std::int64_t timeout_ms, const FlapSettings& s) noexcept;
    // The host was heard again at `now_ms` after being silent.
    Verdict back(std::int64_t now_ms) noexcept;

    bool flapping() const noexcept { return flapping_; }
    // While flapping: when it counts as settled if its state does not change again.
    std::int64_t settle_at_ms() const noexcept { return settle_at_ms_; }
    // Ends the flapping (the caller reports it settled) and forgets the history.
    void settle() noexcept;

  private:
    // The times of the latest silences, newest at recent_[count_ - 1].
    std::array<std::int64_t, FlapSettings::kMaxSilences> recent_{};
    std::int64_t settle_at_ms_ = 0;
    std::int64_t settle_after_ms_ = 0;  // settle_timeouts timeouts, as of the latest silence.
    std::uint32_t count_ = 0;
    bool flapping_ = false;
};

}  // namespace beat
