#include "common/config_value.hpp"

#include <fmt/core.h>

#include <string>

#include "common/duration.hpp"

namespace beat {

void config_fail(std::string_view key, std::string_view what) {
    throw ConfigError(fmt::format("{}: {}", key, what));
}

std::int64_t duration_setting(std::string_view key, std::string_view text, std::int64_t min_ms,
                              std::optional<std::int64_t> max_ms) {
    const auto ms = parse_duration_ms(text);
    if (!ms || *ms < min_ms || (max_ms && *ms > *max_ms)) {
        const std::string range =
            max_ms ? fmt::format("from {} to {}", format_duration(min_ms), format_duration(*max_ms))
                   : fmt::format("of at least {}", format_duration(min_ms));
        config_fail(key, fmt::format("expected seconds (\"5\", \"0.5\") or a duration (\"250ms\", "
                                     "\"1m\") {}, got \"{}\"",
                                     range, text));
    }
    return *ms;
}

}  // namespace beat
