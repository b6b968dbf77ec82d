// A bound on how often something is sent to one host: at most N sends in any window of time.
// A rolling window, not a bucket that refills, kept in 4 bytes a send.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace beat {

template <std::size_t N>
class SendWindow {
  public:
    // True, counting a send at `now_ms`, when fewer than N sends were counted in the `window_ms`
    // up to it; false, counting nothing, otherwise. Sends are kept in whole seconds, each rounded
    // up and `now_ms` rounded down, so a window may end up to 2 s late but never lets more than N
    // sends through in any `window_ms`. `now_ms` is at least 0 (and below 136 years) and never
    // goes back between calls. O(1), never allocates.
    bool try_send(std::int64_t now_ms, std::int64_t window_ms) noexcept {
        std::uint32_t& oldest = at_[next_];
        const std::int64_t now_s = now_ms / 1000;
        if (count_ == N && now_s - std::int64_t{oldest} < window_ms / 1000) return false;
        oldest = static_cast<std::uint32_t>((now_ms + 999) / 1000);
        next_ = static_cast<std::uint8_t>((next_ + 1) % N);
        if (count_ < N) ++count_;
        return true;
    }

  private:
    static_assert(N > 0 && N < 256);
    std::array<std::uint32_t, N> at_{};  // The seconds of the latest sends; at_[next_] the oldest.
    std::uint8_t next_ = 0;
    std::uint8_t count_ = 0;  // Sends counted so far, up to N.
};

}  // namespace beat
