#include "common/log.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "common/duration.hpp"
#include "common/utc_time.hpp"

namespace beat {

// Renders event values in either format; a friend of LogValue.
struct LogRender {
    static void text(std::string& out, const LogValue& v);
    static nlohmann::ordered_json json(const LogValue& v);
};

namespace {

std::atomic<LogLevel> g_level{LogLevel::info};
std::atomic<LogFormat> g_format{LogFormat::text};
std::atomic<bool> g_journal{std::getenv("JOURNAL_STREAM") != nullptr};
// Set while a LogCapture lives.
std::vector<std::string>* g_capture = nullptr;

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

// The level as json spells it: lower case, like the --log-level values.
std::string_view json_level_name(LogLevel level) noexcept {
    constexpr std::string_view names[] = {"debug", "info", "warn", "error"};
    return names[static_cast<std::size_t>(level)];
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

// Now in RFC 3339 UTC with milliseconds: "2024-05-01T12:00:00.123Z".
std::string timestamp() {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return format_utc_ms(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

// Writes `line` (ending in '\n') to the capture, if any, or to stderr.
void emit(const std::string& line) {
    if (g_capture != nullptr) {
        g_capture->push_back(line);
        return;
    }
    // One write per line so that lines from several processes on one pipe do not interleave.
    std::size_t off = 0;
    while (off < line.size()) {
        const ssize_t n = ::write(STDERR_FILENO, line.data() + off, line.size() - off);
        if (n <= 0) break;
        off += static_cast<std::size_t>(n);
    }
}

// What starts every line: "<N>" for the journal; in text otherwise the time.
std::string line_start(LogLevel level, LogFormat format) {
    if (g_journal.load(std::memory_order_relaxed))
        return fmt::format("<{}>", syslog_priority(level));
    if (format == LogFormat::text) return timestamp() + ' ';
    return {};
}

// A json line: the object with time, level and event first, then `fields`' members.
std::string json_line(LogLevel level, std::string_view event, nlohmann::ordered_json fields) {
    nlohmann::ordered_json o;
    o["time"] = timestamp();
    o["level"] = json_level_name(level);
    o["event"] = event;
    for (auto& [key, value] : fields.items())
        o[key] = std::move(value);
    // Replacing bad UTF-8 (host names are user data) rather than throwing keeps the event.
    return o.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void write_record(LogLevel level, std::string_view body) {
    std::string line = line_start(level, LogFormat::text);
    line.reserve(line.size() + body.size() + 8);
    line += level_name(level);
    line += ' ';
    line += body;
    line += '\n';
    emit(line);
}

}  // namespace

void LogRender::text(std::string& out, const LogValue& v) {
    switch (v.kind_) {
        case LogValue::Kind::null:
        case LogValue::Kind::string:
            out += v.text_;
            break;
        case LogValue::Kind::boolean:
            out += v.b_ ? "yes" : "no";
            break;
        case LogValue::Kind::integer:
            out += fmt::format("{}", v.i_);
            break;
        case LogValue::Kind::unsigned_integer:
            out += fmt::format("{}", v.u_);
            break;
        case LogValue::Kind::real:
            out += v.decimals_ < 0 ? fmt::format("{}", v.d_)
                                   : fmt::format("{:.{}f}", v.d_, v.decimals_);
            break;
        case LogValue::Kind::duration:
            if (v.text_in_ms_) {
                out += fmt::format("{}ms", v.i_);
            } else {
                if (v.plus_sign_ && v.i_ >= 0) out += '+';
                out += format_duration(v.i_);
            }
            break;
        case LogValue::Kind::percent:
            out += fmt::format("{:.1f}%", v.d_ * 100);
            break;
        case LogValue::Kind::hex:
            out += fmt::format("{:016x}", v.u_);
            break;
        case LogValue::Kind::strings:
            for (std::size_t i = 0; i < v.items_.size(); ++i) {
                if (i) out += ", ";
                out += v.items_[i];
            }
            break;
    }
    out += v.suffix_;
}

nlohmann::ordered_json LogRender::json(const LogValue& v) {
    switch (v.kind_) {
        case LogValue::Kind::null:
            return nullptr;
        case LogValue::Kind::boolean:
            return v.b_;
        case LogValue::Kind::integer:
            return v.i_;
        case LogValue::Kind::unsigned_integer:
            return v.u_;
        case LogValue::Kind::real:
        case LogValue::Kind::percent:
            return v.d_;
        case LogValue::Kind::duration:
            return static_cast<double>(v.i_) / 1000.0;
        case LogValue::Kind::string:
            return v.text_;
        case LogValue::Kind::hex:
            return fmt::format("{:016x}", v.u_);
        case LogValue::Kind::strings: {
            auto a = nlohmann::ordered_json::array();
            for (const std::string_view s : v.items_)
                a.push_back(s);
            return a;
        }
    }
    return nullptr;
}

LogValue LogValue::unknown(std::string_view spelling) noexcept {
    LogValue v;
    v.text_ = spelling;
    return v;
}

LogValue LogValue::duration(std::int64_t ms, bool plus_sign) noexcept {
    LogValue v;
    v.kind_ = Kind::duration;
    v.i_ = ms;
    v.plus_sign_ = plus_sign;
    return v;
}

LogValue LogValue::milliseconds(std::int64_t ms) noexcept {
    LogValue v = duration(ms);
    v.text_in_ms_ = true;
    return v;
}

LogValue LogValue::fixed(double d, int decimals) noexcept {
    LogValue v(d);
    v.decimals_ = decimals;
    return v;
}

LogValue LogValue::percent(double ratio) noexcept {
    LogValue v;
    v.kind_ = Kind::percent;
    v.d_ = ratio;
    return v;
}

LogValue LogValue::hex(std::uint64_t u) noexcept {
    LogValue v;
    v.kind_ = Kind::hex;
    v.u_ = u;
    return v;
}

LogValue LogValue::strings(std::span<const std::string_view> items) noexcept {
    LogValue v;
    v.kind_ = Kind::strings;
    v.items_ = items;
    return v;
}

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

LogCapture::LogCapture(LogFormat format, bool journal)
    : saved_format_(g_format.load()), saved_journal_(g_journal.load()) {
    g_format.store(format);
    g_journal.store(journal);
    g_capture = &lines_;
}

LogCapture::~LogCapture() {
    g_capture = nullptr;
    g_format.store(saved_format_);
    g_journal.store(saved_journal_);
}

bool log_enabled(LogLevel level) noexcept {
    return level >= g_level.load(std::memory_order_relaxed);
}

void log_line(LogLevel level, std::string_view message) noexcept {
    try {
        if (g_format.load(std::memory_order_relaxed) == LogFormat::json) {
            nlohmann::ordered_json fields;
            fields["message"] = message;
            emit(line_start(level, LogFormat::json) +
                 json_line(level, "message", std::move(fields)) + '\n');
            return;
        }
        write_record(level, message);
    } catch (...) {
    }
}

void log_event(LogLevel level, LogEvent event, std::span<const LogField> fields) noexcept {
    if (!log_enabled(level)) return;
    try {
        if (g_format.load(std::memory_order_relaxed) == LogFormat::json) {
            nlohmann::ordered_json members = nlohmann::ordered_json::object();
            for (const LogField& f : fields) {
                if (f.scope != LogScope::text_only)
                    members[std::string(f.key)] = LogRender::json(f.value);
            }
            emit(line_start(level, LogFormat::json) +
                 json_line(level, event.name, std::move(members)) + '\n');
            return;
        }
        std::string body;
        if (event.words.empty()) {
            body = event.name;
            std::replace(body.begin(), body.end(), '_', ' ');
        } else {
            body = event.words;
        }
        for (const LogField& f : fields) {
            if (f.scope == LogScope::json_only) continue;
            body += ' ';
            if (!f.key.empty()) {
                body += f.key;
                body += '=';
            }
            LogRender::text(body, f.value);
        }
        write_record(level, body);
    } catch (...) {
        log_line(LogLevel::error, "log event could not be written");
    }
}

}  // namespace beat
