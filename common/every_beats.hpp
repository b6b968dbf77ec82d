// How a period in milliseconds (a collector's or a plugin's, from a plan or the local config)
// becomes a number of beats: the agent runs it on that many beats, and the server's /plans shows
// the same count.
#pragma once

#include <cstdint>

namespace beat {

// `every_ms` rounded to the nearest whole number of beats of `interval_ms` (halves up), at least
// one. Both must be positive.
constexpr std::uint32_t every_beats(std::int64_t every_ms, std::int64_t interval_ms) noexcept {
    const std::int64_t beats = (every_ms + interval_ms / 2) / interval_ms;
    if (beats < 1) return 1;
    if (beats > 0xffffffffLL) return 0xffffffffU;
    return static_cast<std::uint32_t>(beats);
}

}  // namespace beat
