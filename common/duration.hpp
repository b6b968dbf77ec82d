// Durations as operators type them: seconds with decimals ("0.5", "20"), or with a unit suffix
// ("250ms", "5s", "10m", "24h", "7d").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace beat {

// Milliseconds in `s`, rounded to the nearest millisecond; nullopt for negative, non-finite,
// malformed or absurd (over 100 years) input.
std::optional<std::int64_t> parse_duration_ms(std::string_view s) noexcept;

// "1.5s", "250ms", "3m20s"-free plain form used in logs: seconds with up to three decimals.
std::string format_duration(std::int64_t ms);

// `ms` with the largest unit that holds it exactly, as settings are written: "7d", "36h", "5m",
// "20s", "250ms" ("0s" for 0). parse_duration_ms() reads it back.
std::string format_duration_unit(std::int64_t ms);

}  // namespace beat
