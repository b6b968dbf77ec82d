// What the agent asks of the operating system outside the event loop: clocks, randomness, the
// host name and the page size.
#pragma once

#include <cstdint>
#include <string>

namespace beat {

// Unix time in milliseconds (CLOCK_REALTIME): the send time written into each beat.
std::int64_t unix_time_ms() noexcept;

// Milliseconds on a clock that never jumps (CLOCK_MONOTONIC): the time base of rates.
std::int64_t monotonic_ms() noexcept;

// 64 random bits from getrandom(); falls back to mixing the clocks and the pid if the kernel
// refuses, since an incarnation must be produced whatever happens.
std::uint64_t random_u64() noexcept;

// The system host name (gethostname()), or "" when it cannot be read.
std::string system_host_name();

std::uint64_t page_size() noexcept;

}  // namespace beat
