#include "beat_server/core/report/log_reporter.hpp"

#include <optional>
#include <vector>

#include "common/duration.hpp"
#include "common/log.hpp"

namespace beat {
namespace {

// Logs `event` with `fields` followed by what the detector says of the host now: phi (null
// without the phi detector), the recent loss rate, and when its next beat is due relative to now
// (negative: overdue); then `note`, if any.
void log_with_detector(LogLevel level, LogEvent event, const HostRecord& h, std::int64_t now_ms,
                       std::initializer_list<LogField> fields,
                       std::optional<LogField> note = std::nullopt) {
    if (!log_enabled(level)) return;
    const DetectorReading r = read_detector(h.liveness, now_ms);
    std::vector<LogField> all(fields);
    all.emplace_back("phi", r.phi ? LogValue::fixed(*r.phi, 2) : LogValue::unknown("-"));
    all.emplace_back("loss", LogValue::percent(r.loss));
    all.emplace_back("next_beat", LogValue::duration(r.expected_ms - now_ms, true));
    if (note) all.push_back(*note);
    log_event(level, event, all);
}

}  // namespace

LogReporter::LogReporter(std::size_t max_names, std::int64_t invalid_log_window_ms)
    : max_names_(max_names),
      invalid_limiter_(invalid_log_window_ms),
      refused_limiter_(invalid_log_window_ms) {}

void LogReporter::host_new(const HostRecord& h, std::int64_t) {
    if (!log_enabled(LogLevel::info)) return;
    log_event(LogLevel::info, "host_new",
              {{"host", h.name},
               {"address", h.address.to_string()},
               {"interval", LogValue::duration(h.interval_ms)},
               {"incarnation", LogValue::hex(h.sequence.incarnation())}});
}

void LogReporter::host_restarted(const HostRecord& h, std::int64_t) {
    if (!log_enabled(LogLevel::info)) return;
    log_event(LogLevel::info, "host_restarted",
              {{"host", h.name},
               {"address", h.address.to_string()},
               {"incarnation", LogValue::hex(h.sequence.incarnation())},
               {"restarts", h.restarts}});
}

void LogReporter::host_silent(const HostRecord& h, std::int64_t now_ms) {
    log_with_detector(LogLevel::warn, "host_silent", h, now_ms,
                      {{"host", h.name},
                       {"silent_for", LogValue::duration(now_ms - h.last_seen_ms)},
                       {"address", h.address.to_string()},
                       {"last_seq", h.sequence.highest()},
                       {"timeout", LogValue::duration(h.liveness.timeout_ms)}});
}

void LogReporter::host_back(const HostRecord& h, std::int64_t away_ms, std::uint64_t lost,
                            bool restarted, std::int64_t now_ms) {
    // After a restart the sequence numbers start over, so what was lost meanwhile is unknown.
    log_with_detector(LogLevel::info, "host_back", h, now_ms,
                      {{"host", h.name},
                       {"away_for", LogValue::duration(away_ms)},
                       {"lost", restarted ? LogValue::unknown("unknown") : LogValue(lost)},
                       {"restarted", restarted, restarted ? LogScope::both : LogScope::json_only},
                       {"address", h.address.to_string()}});
}

void LogReporter::host_flapping(const HostRecord& h, std::int64_t now_ms) {
    log_with_detector(LogLevel::warn, "host_flapping", h, now_ms,
                      {{"host", h.name},
                       {"silent_for", LogValue::duration(now_ms - h.last_seen_ms)},
                       {"address", h.address.to_string()},
                       {"timeout", LogValue::duration(h.liveness.timeout_ms)}},
                      text_note("(its silences and returns are not logged until it settles)"));
}

void LogReporter::host_settled(const HostRecord& h, std::int64_t now_ms) {
    const bool up = h.liveness.state == HostState::up;
    log_with_detector(
        LogLevel::info, "host_settled", h, now_ms,
        {{"host", h.name},
         {"state", up ? "up" : "silent"},
         {up ? "last_heard" : "silent_for", LogValue::duration(now_ms - h.last_seen_ms)},
         {"address", h.address.to_string()}});
}

void LogReporter::host_forgotten(const HostRecord& h, std::int64_t now_ms) {
    if (!log_enabled(LogLevel::info)) return;
    log_event(LogLevel::info, "host_forgotten",
              {{"host", h.name},
               {"silent_for", LogValue::duration(now_ms - h.last_seen_ms)},
               {"address", h.address.to_string()}});
}

void LogReporter::invalid_datagram(DecodeError error, const SourceAddress& from,
                                   std::int64_t now_ms) {
    if (!log_enabled(LogLevel::warn)) return;
    const std::string ip = from.ip();
    if (!invalid_limiter_.allow(ip, now_ms)) return;
    log_event(LogLevel::warn, "invalid_datagram",
              {{"from", from.to_string()},
               {"reason", to_string(error)},
               {"suppressed_since_last", invalid_limiter_.take_suppressed(ip)}});
}

void LogReporter::datagram_refused(Refusal reason, std::string_view host, const SourceAddress& from,
                                   std::int64_t now_ms) {
    if (!log_enabled(LogLevel::warn)) return;
    // A source address cannot be spelled "host_limit", so the two kinds of key never meet.
    const std::string key = reason == Refusal::host_limit ? "host_limit" : from.ip();
    if (!refused_limiter_.allow(key, now_ms)) return;
    log_event(LogLevel::warn, {"datagram_refused", "refused datagram"},
              {{"from", from.to_string()},
               {"host", host},
               {"reason", to_string(reason)},
               {"suppressed_since_last", refused_limiter_.take_suppressed(key)}});
}

void LogReporter::silent_summary(std::span<const HostRecord* const> silent, std::size_t up,
                                 std::size_t flapping, std::int64_t now_ms) {
    if (!log_enabled(LogLevel::info)) return;
    // The text line lists "name (silent for)"; json gives the counts and the names shown.
    const std::size_t shown = std::min(silent.size(), max_names_);
    std::vector<std::string_view> names;
    names.reserve(shown);
    // (flapping= only when some host flaps, so that the usual line stays as it was.)
    const std::string counts =
        flapping == 0 ? fmt::format("up={}", up) : fmt::format("up={}, flapping={}", up, flapping);
    std::string text = silent.empty()
                           ? fmt::format("silent hosts: none ({})", counts)
                           : fmt::format("silent hosts: {} ({}): ", silent.size(), counts);
    for (std::size_t i = 0; i < shown; ++i) {
        names.push_back(silent[i]->name);
        if (i) text += ", ";
        text += fmt::format("{} ({})", silent[i]->name,
                            format_duration(now_ms - silent[i]->last_seen_ms));
    }
    if (shown < silent.size()) text += fmt::format(", and {} more", silent.size() - shown);
    log_event(LogLevel::info, {"silent_summary", text},
              {json_field("silent", silent.size()), json_field("up", up),
               json_field("flapping", flapping), json_field("hosts", LogValue::strings(names)),
               json_field("not_named", silent.size() - shown)});
}

}  // namespace beat
