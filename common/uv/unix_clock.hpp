// The wall clock, in Unix milliseconds.
#pragma once

#include <uv.h>

#include <cstdint>

namespace beat {

// Unix time now, in milliseconds (uv_gettimeofday; the clock may step).
inline std::int64_t unix_now_ms() noexcept {
    uv_timeval64_t tv{};
    uv_gettimeofday(&tv);
    return tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

}  // namespace beat
