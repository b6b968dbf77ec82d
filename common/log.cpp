#include "common/log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <string>

namespace beat {
namespace {

std::atomic<LogLevel> g_level{LogLevel::info};
std::atomic<LogFormat> g_format{LogFormat::text};
const bool g_journal = std::getenv("JOURNAL_STREAM") != nullptr;

std::string_view level_name(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::debug:
            return "DEBUG";
        case LogLevel::info:
            return "INFO";
        case LogLevel::warn:
            return "WARN";
        case LogLevel::error:
            return "ERROR";
    }
    return "?";
}

// syslog priorities: err(3), warning(4), info(6), debug(7).
char syslog_priority(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::debug:
            return '7';
        case LogLevel::info:
            return '6';
        case LogLevel::warn:
            return '4';
        case LogLevel::error:
            return '3';
    }
    return '6';
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view s) noexcept {
    if (s == "debug") return LogLevel::debug;
    if (s == "info") return LogLevel::info;
    if (s == "warn" || s == "warning") return LogLevel::warn;
    if (s == "error") return LogLevel::error;
    return std::nullopt;
}

std::optional<LogFormat> parse_log_format(std::string_view s) noexcept {
    if (s == "text") return LogFormat::text;
    if (s == "json") return LogFormat::json;
    return std::nullopt;
}

void set_log_format(LogFormat format) noexcept {
    g_format.store(format, std::memory_order_relaxed);
}

void set_log_level(LogLevel level) noexcept {
    g_level.store(level, std::memory_order_relaxed);
}

bool log_enabled(LogLevel level) noexcept {
    return level >= g_level.load(std::memory_order_relaxed);
}

void log_line(LogLevel level, std::string_view message) noexcept {
    try {
        std::string line;
        line.reserve(message.size() + 40);
        if (g_journal) {
            line += '<';
            line += syslog_priority(level);
            line += '>';
        } else {
            const auto now = std::chrono::system_clock::now();
            const auto ms =
                std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch())
                    .count();
            const std::time_t secs = static_cast<std::time_t>(ms / 1000);
            std::tm tm{};
            gmtime_r(&secs, &tm);
            char stamp[40];
            std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
            line += stamp;
            line += fmt::format(".{:03}Z ", ms % 1000);
        }
        line += level_name(level);
        line += ' ';
        line += message;
        line += '\n';
        // One write per line so that lines from several processes on one pipe do not interleave.
        std::size_t off = 0;
        while (off < line.size()) {
            const ssize_t n = ::write(STDERR_FILENO, line.data() + off, line.size() - off);
            if (n <= 0) break;
            off += static_cast<std::size_t>(n);
        }
    } catch (...) {
    }
}

}  // namespace beat
