// One line per event on stderr, with a level; readable by a person, by journald and, in the json
// format, by a log pipeline.
//
// Two kinds of line: plain messages (log_info("...")) and structured events (log_event), which
// carry a stable snake_case name and typed fields. The text format renders an event as
// "<event words> key=value ..."; the json format as one object per line:
//   {"time":"2024-05-01T12:00:00.123Z","level":"warn","event":"host_silent","host":"palm",...}
// where durations are seconds as numbers, counters integers, unknowns null. A plain message in
// json becomes {"time","level","event":"message","message":"<its text>"}.
//
// When stderr is connected to the journal (JOURNAL_STREAM names it), lines carry a "<N>" syslog
// priority prefix, in both formats: journald strips it and keeps it as the entry's priority, so
// a json entry's MESSAGE is the bare object. Text lines then have no timestamp, since journald
// adds its own; json lines keep "time", which a consumer of the object expects to find in it.
#pragma once

#include <fmt/core.h>

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace beat {

enum class LogLevel { debug = 0, info, warn, error };

std::optional<LogLevel> parse_log_level(std::string_view s) noexcept;
void set_log_level(LogLevel level) noexcept;

// text: "LEVEL message key=value ..."; json: one object per line.
enum class LogFormat { text, json };
// "text" or "json"; nullopt for anything else.
std::optional<LogFormat> parse_log_format(std::string_view s) noexcept;
// Chooses the format of every line written from now on (text until called).
void set_log_format(LogFormat format) noexcept;
bool log_enabled(LogLevel level) noexcept;

// For tests: while it lives, finished lines (each with its '\n') are collected instead of written
// to stderr, in `format` and with the "<N>" journald prefix when `journal` (so text lines carry no
// timestamp). Destroying it restores the format, the prefix setting and stderr. One at a time,
// while no other thread logs.
class LogCapture {
  public:
    LogCapture(LogFormat format, bool journal);
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;
    ~LogCapture();

    const std::vector<std::string>& lines() const noexcept { return lines_; }

  private:
    std::vector<std::string> lines_;
    LogFormat saved_format_;
    bool saved_journal_;
};

// Writes one plain message; never throws (a failed write to stderr is ignored).
void log_line(LogLevel level, std::string_view message) noexcept;

// The value of an event's field. The constructors give the natural kinds (null, bool, signed and
// unsigned integers, double, string); the named constructors give the kinds whose text and JSON
// forms differ. Strings are viewed, not copied: a value lives no longer than the call it is
// built for.
class LogValue {
  public:
    enum class Kind : std::uint8_t {
        null,     // text: its spelling ("unknown", "-"); json: null
        boolean,  // text: yes/no; json: true/false
        integer,  // signed
        unsigned_integer,
        real,      // text: shortest form, or fixed decimals
        string,    // text: as is; json: a string (bad UTF-8 replaced by U+FFFD)
        duration,  // milliseconds; text: format_duration ("1.5s") or "1500ms"; json: seconds
        percent,   // a ratio; text: "1.5%"; json: the ratio (0.015)
        hex,       // a 64-bit identifier; text and json: 16 hex digits (json: a string)
        strings,   // a list of strings; text: joined by ", "; json: an array
    };

    LogValue(std::nullptr_t) noexcept : kind_(Kind::null), text_("-") {}
    LogValue(bool v) noexcept : kind_(Kind::boolean), b_(v) {}
    template <std::signed_integral T>
    LogValue(T v) noexcept : kind_(Kind::integer), i_(v) {}
    template <std::unsigned_integral T>
    requires(!std::same_as<T, bool>) LogValue(T v)
    noexcept : kind_(Kind::unsigned_integer), u_(v) {}
    LogValue(double v) noexcept : kind_(Kind::real), d_(v) {}
    LogValue(std::string_view v) noexcept : kind_(Kind::string), text_(v) {}
    LogValue(const char* v) noexcept : LogValue(std::string_view(v)) {}
    LogValue(const std::string& v) noexcept : LogValue(std::string_view(v)) {}

    // Null in json, `spelling` in text (e.g. lost=unknown).
    static LogValue unknown(std::string_view spelling) noexcept;
    // `ms` milliseconds: text format_duration ("1.5s", with a '+' before a non-negative value
    // when `plus_sign`); json seconds.
    static LogValue duration(std::int64_t ms, bool plus_sign = false) noexcept;
    // `ms` milliseconds: text "1500ms"; json seconds.
    static LogValue milliseconds(std::int64_t ms) noexcept;
    // A double shown in text with `decimals` decimals; json keeps every digit.
    static LogValue fixed(double v, int decimals) noexcept;
    // A ratio shown in text as a percentage with one decimal.
    static LogValue percent(double ratio) noexcept;
    // A 64-bit identifier as 16 hex digits.
    static LogValue hex(std::uint64_t v) noexcept;
    // A list of strings; `items` must outlive the value.
    static LogValue strings(std::span<const std::string_view> items) noexcept;

    // Adds `suffix` after the value in text only (e.g. "x-interval"); returns *this.
    LogValue& text_suffix(std::string_view suffix) noexcept {
        suffix_ = suffix;
        return *this;
    }

    Kind kind() const noexcept { return kind_; }

  private:
    friend struct LogRender;  // log.cpp's renderers.
    LogValue() noexcept = default;

    Kind kind_ = Kind::null;
    bool b_ = false;
    bool plus_sign_ = false;
    bool text_in_ms_ = false;  // duration: "1500ms" rather than "1.5s".
    int decimals_ = -1;        // real: -1 for the shortest form.
    std::int64_t i_ = 0;
    std::uint64_t u_ = 0;
    double d_ = 0;
    std::string_view text_, suffix_;
    std::span<const std::string_view> items_;
};

// Where a field appears: in both formats (the default), only in text (a bare phrase when the key
// is empty, e.g. a note for the reader), or only in json (what text already says in its words).
enum class LogScope : std::uint8_t { both, text_only, json_only };

struct LogField {
    LogField(std::string_view k, LogValue v, LogScope s = LogScope::both) noexcept
        : key(k), value(v), scope(s) {}
    std::string_view key;  // snake_case; empty only for a text_only phrase.
    LogValue value;
    LogScope scope;
};

// A phrase shown in text only, after the fields before it.
inline LogField text_note(std::string_view phrase) noexcept {
    return {{}, LogValue(phrase), LogScope::text_only};
}
// A field shown in json only.
inline LogField json_field(std::string_view key, LogValue value) noexcept {
    return {key, value, LogScope::json_only};
}

// What happened: `name`, stable and snake_case, is json's "event"; `words` open the text line
// (by default the name with its '_' read as ' ': "host_silent" -> "host silent").
struct LogEvent {
    LogEvent(const char* n) noexcept : name(n) {}
    LogEvent(std::string_view n, std::string_view w = {}) noexcept : name(n), words(w) {}
    std::string_view name;
    std::string_view words;
};

// Writes one event with its fields, in the order given, as one line; never throws. Keys should
// be distinct (json keeps the last of equal keys).
void log_event(LogLevel level, LogEvent event, std::span<const LogField> fields) noexcept;
inline void log_event(LogLevel level, LogEvent event,
                      std::initializer_list<LogField> fields) noexcept {
    log_event(level, event, std::span<const LogField>(fields.begin(), fields.size()));
}

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
