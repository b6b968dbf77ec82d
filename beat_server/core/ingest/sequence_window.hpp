// Loss accounting from heartbeat sequence numbers.
#pragma once

#include <cstdint>

namespace beat {

// Tracks the sequence numbers seen from one agent incarnation in a 64-beat window, so that a gap
// counts as loss, a late (reordered) beat takes its loss back, a duplicate is recognised, and an
// agent restart (a new incarnation) starts afresh without counting loss.
class SequenceWindow {
  public:
    static constexpr std::uint64_t kWindow = 64;

    enum class Verdict {
        first,      // The first beat ever seen.
        restart,    // A new incarnation: the agent restarted.
        next,       // Newer than any seen so far (`lost` beats were skipped).
        late,       // Older than the newest, not seen before: a reordered beat.
        duplicate,  // Seen before.
        stale,      // Older than the window: cannot be told from a duplicate.
    };
    struct Result {
        Verdict verdict;
        std::uint64_t lost = 0;  // next: the beats skipped, to count as lost (any gap in full).
        // late: newer than the first beat heard of its incarnation, so it was counted lost when its
        // gap appeared and is to be taken back (an older one never was).
        bool recovered = false;
    };

    // Classifies (incarnation, sequence) and records it unless it is a duplicate or stale.
    Result observe(std::uint64_t incarnation, std::uint64_t sequence) noexcept;

    // Starts from a state kept across a server restart: `highest` of `incarnation` was seen (the
    // beats before it count as seen too, so none of them is taken for a late one).
    void restore(std::uint64_t incarnation, std::uint64_t highest) noexcept;

    std::uint64_t incarnation() const noexcept { return incarnation_; }
    std::uint64_t highest() const noexcept { return highest_; }

  private:
    bool started_ = false;
    std::uint64_t incarnation_ = 0;
    std::uint64_t first_ = 0;  // Loss counts from here: the first beat heard of the incarnation.
    std::uint64_t highest_ = 0;
    std::uint64_t mask_ = 0;  // Bit i set: highest_ - i was seen.
};

}  // namespace beat
