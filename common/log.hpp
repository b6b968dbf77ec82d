// One line per event on stderr, with a level; readable by a person and by journald.
//
// When stderr is connected to the journal (JOURNAL_STREAM names it), lines carry a "<N>" syslog
// priority prefix and no timestamp, since journald adds its own.
#pragma once

#include <fmt/core.h>

#include <optional>
#include <string_view>

namespace beat {

enum class LogLevel { debug = 0, info, warn, error };

std::optional<LogLevel> parse_log_level(std::string_view s) noexcept;
void set_log_level(LogLevel level) noexcept;

// text: "LEVEL message key=value ..."; json: one object per line.
enum class LogFormat { text, json };
std::optional<LogFormat> parse_log_format(std::string_view s) noexcept;
void set_log_format(LogFormat format) noexcept;
bool log_enabled(LogLevel level) noexcept;

// Writes one line; never throws (a failed write to stderr is ignored).
void log_line(LogLevel level, std::string_view message) noexcept;

template <typename... Args>
void log(LogLevel level, fmt::format_string<Args...> f, Args&&... args) noexcept {
    if (!log_enabled(level)) return;
    try {
        log_line(level, fmt::format(f, std::forward<Args>(args)...));
    } catch (...) {
        log_line(LogLevel::error, "log message could not be formatted");
    }
}

#define BEAT_LOG_LEVEL_FN(name, level)                                  \
    template <typename... Args>                                         \
    void name(fmt::format_string<Args...> f, Args&&... args) noexcept { \
        log(level, f, std::forward<Args>(args)...);                     \
    }
BEAT_LOG_LEVEL_FN(log_debug, LogLevel::debug)
BEAT_LOG_LEVEL_FN(log_info, LogLevel::info)
BEAT_LOG_LEVEL_FN(log_warn, LogLevel::warn)
BEAT_LOG_LEVEL_FN(log_error, LogLevel::error)
#undef BEAT_LOG_LEVEL_FN

}  // namespace beat
