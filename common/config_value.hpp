// What the server's and the agent's settings share: the error a bad value raises, whose message
// starts with the key or flag it came under ("interval: ...", "--report-interval: ..."), and the
// reading of a duration within its range.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string_view>

namespace beat {

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Throws ConfigError("`key`: `what`").
[[noreturn]] void config_fail(std::string_view key, std::string_view what);

// The milliseconds in `text`, seconds with decimals ("5", "0.5") or a duration with a unit
// ("250ms", "1m"), from `min_ms` up to `max_ms` (unset: as long as parse_duration_ms() reads).
// Throws ConfigError naming `key` and the range otherwise.
std::int64_t duration_setting(std::string_view key, std::string_view text, std::int64_t min_ms,
                              std::optional<std::int64_t> max_ms = std::nullopt);

}  // namespace beat
