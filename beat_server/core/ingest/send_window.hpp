// A bound on how often something is sent to one host: at most N sends in any window of time.
// Exact (a rolling window, not a bucket that refills), in a few words of memory per host.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace beat {

template <std::size_t N>
class SendWindow {
  public:
    // True, counting a send at `now_ms`, when fewer than N sends were counted in the
    // `window_ms` up to it (after now_ms - window_ms); false, counting nothing, otherwise.
    // `now_ms` never goes back between calls. O(1), never allocates.
    bool try_send(std::int64_t now_ms, std::int64_t window_ms) noexcept {
        std::int64_t& oldest = at_[next_];
        if (count_ == N && now_ms - oldest < window_ms) return false;
        oldest = now_ms;
        next_ = static_cast<std::uint8_t>((next_ + 1) % N);
        if (count_ < N) ++count_;
        return true;
    }

  private:
    static_assert(N > 0 && N < 256);
    std::array<std::int64_t, N> at_{};  // The times of the latest sends; at_[next_] the oldest.
    std::uint8_t next_ = 0;
    std::uint8_t count_ = 0;  // Sends counted so far, up to N.
};

}  // namespace beat
