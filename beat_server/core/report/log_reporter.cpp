#include "beat_server/core/report/log_reporter.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/duration.hpp"
#include "common/log.hpp"
#include "common/plan.hpp"

namespace beat {
namespace {

// Logs `event` with `fields` followed by what the detector said of the host at `at_ms`: phi
// (null without the phi detector), the recent loss rate, and when its next beat was due relative
// to then (negative: overdue); then `note`, if any.
void log_with_detector(LogLevel level, LogEvent event, const DetectorReading& r, std::int64_t at_ms,
                       std::initializer_list<LogField> fields,
                       std::optional<LogField> note = std::nullopt) {
    if (!log_enabled(level)) return;
    std::vector<LogField> all(fields);
    all.emplace_back("phi", r.phi ? LogValue::fixed(*r.phi, 2) : LogValue::unknown("-"));
    all.emplace_back("loss", LogValue::percent(r.loss));
    all.emplace_back("next_beat", LogValue::duration(r.expected_ms - at_ms, true));
    if (note) all.push_back(*note);
    log_event(level, event, all);
}

}  // namespace

LogReporter::LogReporter(std::size_t max_names, std::int64_t invalid_log_window_ms)
    : max_names_(max_names),
      invalid_limiter_(invalid_log_window_ms),
      refused_limiter_(invalid_log_window_ms) {}

void LogReporter::on_event(const Event& event) {
    std::visit([this](const auto& e) { write(e); }, event);
}

void LogReporter::write(const HostNew& e) {
    if (!log_enabled(LogLevel::info)) return;
    log_event(LogLevel::info, "host_new",
              {{"host", e.host.name},
               {"address", e.host.address.to_string()},
               {"interval", LogValue::duration(e.interval_ms)},
               {"incarnation", LogValue::hex(e.incarnation)}});
}

void LogReporter::write(const HostRestarted& e) {
    if (!log_enabled(LogLevel::info)) return;
    log_event(LogLevel::info, "host_restarted",
              {{"host", e.host.name},
               {"address", e.host.address.to_string()},
               {"incarnation", LogValue::hex(e.incarnation)},
               {"restarts", e.restarts}});
}

void LogReporter::write(const HostSilent& e) {
    log_with_detector(LogLevel::warn, "host_silent", e.detector, e.at_ms,
                      {{"host", e.host.name},
                       {"silent_for", LogValue::duration(e.silent_for_ms)},
                       {"address", e.host.address.to_string()},
                       {"last_seq", e.last_seq},
                       {"timeout", LogValue::duration(e.timeout_ms)}});
}

void LogReporter::write(const HostBack& e) {
    // After a restart the sequence numbers start over, so what was lost meanwhile is unknown; so
    // it is for a PyHeartBeat host, whose beats are not numbered.
    const bool lost_known = e.numbered && !e.restarted;
    log_with_detector(
        LogLevel::info, "host_back", e.detector, e.at_ms,
        {{"host", e.host.name},
         {"away_for", LogValue::duration(e.away_for_ms)},
         {"lost", lost_known ? LogValue(e.lost) : LogValue::unknown("unknown")},
         {"restarted", e.restarted, e.restarted ? LogScope::both : LogScope::json_only},
         {"address", e.host.address.to_string()}});
}

void LogReporter::write(const HostFlapping& e) {
    log_with_detector(LogLevel::warn, "host_flapping", e.detector, e.at_ms,
                      {{"host", e.host.name},
                       {"silent_for", LogValue::duration(e.silent_for_ms)},
                       {"address", e.host.address.to_string()},
                       {"timeout", LogValue::duration(e.timeout_ms)}},
                      text_note("(its silences and returns are not logged until it settles)"));
}

void LogReporter::write(const HostSettled& e) {
    const bool up = e.state == HostState::up;
    log_with_detector(LogLevel::info, "host_settled", e.detector, e.at_ms,
                      {{"host", e.host.name},
                       {"state", up ? "up" : "silent"},
                       {up ? "last_heard" : "silent_for", LogValue::duration(e.since_heard_ms)},
                       {"address", e.host.address.to_string()}});
}

void LogReporter::write(const HostForgotten& e) {
    if (!log_enabled(LogLevel::info)) return;
    log_event(LogLevel::info, "host_forgotten",
              {{"host", e.host.name},
               {"silent_for", LogValue::duration(e.silent_for_ms)},
               {"address", e.host.address.to_string()}});
}

void LogReporter::write(const InvalidDatagram& e) {
    if (!log_enabled(LogLevel::warn)) return;
    const std::string ip = e.from.ip();
    if (!invalid_limiter_.allow(ip, e.at_ms)) return;
    log_event(LogLevel::warn, "invalid_datagram",
              {{"from", e.from.to_string()},
               {"reason", to_string(e.error)},
               {"suppressed_since_last", invalid_limiter_.take_suppressed(ip)}});
}

void LogReporter::write(const DatagramRefused& e) {
    if (!log_enabled(LogLevel::warn)) return;
    // A source address cannot be spelled "host_limit", so the two kinds of key never meet.
    const std::string key = e.reason == Refusal::host_limit ? "host_limit" : e.from.ip();
    if (!refused_limiter_.allow(key, e.at_ms)) return;
    log_event(LogLevel::warn, {"datagram_refused", "refused datagram"},
              {{"from", e.from.to_string()},
               {"host", e.host},
               {"reason", to_string(e.reason)},
               {"suppressed_since_last", refused_limiter_.take_suppressed(key)}});
}

void LogReporter::write(const MetricsRefused& e) {
    if (!log_enabled(LogLevel::warn)) return;
    log_event(LogLevel::warn, "metrics_refused",
              {{"host", e.host.name},
               {"refused", e.refused},
               {"limit", e.limit},
               {"address", e.host.address.to_string()},
               text_note("(values under new names beyond the limit since the host's last such "
                         "line; at most one a minute)")});
}

void LogReporter::write(const ServerStalled& e) {
    if (!log_enabled(LogLevel::warn)) return;
    log_event(LogLevel::warn, {"server_stalled", "server stalled"},
              {{"stalled_for", LogValue::duration(e.stalled_ms)},
               {"verdicts_held_for", LogValue::duration(e.held_until_ms - e.at_ms)},
               text_note("(the server itself was not listening: no host is declared silent "
                         "until its beats have been read)")});
}

void LogReporter::write(const VerdictsHeld& e) {
    if (!log_enabled(LogLevel::warn)) return;
    log_event(LogLevel::warn, {"verdicts_held", "verdicts held"},
              {{"suspected", e.suspected},
               {"up", e.up},
               text_note("(so many hosts went quiet at once that the server's own network is "
                         "the likelier cause; they are declared silent only if it lasts)")});
}

void LogReporter::write(const ProbeBudgetSpent& e) {
    if (!log_enabled(LogLevel::warn)) return;
    log_event(LogLevel::warn, {"probe_budget_spent", "probe budget spent"},
              {{"skipped", e.skipped},
               {"budget_per_s", e.budget_per_s},
               text_note("(probes not sent; their hosts are judged by their beats alone, more "
                         "slowly; at most one line a minute)")});
}

void LogReporter::write(const PlanApplied& e) {
    const LogLevel level = e.after_reload ? LogLevel::debug : LogLevel::info;
    if (!log_enabled(level)) return;
    if (e.version == 0) {
        log_event(
            level, "plan_withdrawn",
            {{"host", e.host.name},
             {"address", e.host.address.to_string()},
             text_note("(the server has no plan for it: its agent runs its local settings)")});
        return;
    }
    log_event(level, "plan_applied",
              {{"host", e.host.name},
               {"plan", e.plan},
               {"version", format_plan_version(e.version)},
               {"address", e.host.address.to_string()}});
}

void LogReporter::write(const SilentSummary& e) {
    if (!log_enabled(LogLevel::info)) return;
    // The text line lists "name (silent for)"; json gives the counts and the names shown.
    const std::size_t shown = std::min(e.silent.size(), max_names_);
    std::vector<std::string_view> names;
    names.reserve(shown);
    // (flapping= only when some host flaps, so that the usual line stays as it was.)
    const std::string counts = e.flapping == 0
                                   ? fmt::format("up={}", e.up)
                                   : fmt::format("up={}, flapping={}", e.up, e.flapping);
    std::string text = e.silent.empty()
                           ? fmt::format("silent hosts: none ({})", counts)
                           : fmt::format("silent hosts: {} ({}): ", e.silent.size(), counts);
    for (std::size_t i = 0; i < shown; ++i) {
        names.push_back(e.silent[i].name);
        if (i) text += ", ";
        text +=
            fmt::format("{} ({})", e.silent[i].name, format_duration(e.silent[i].silent_for_ms));
    }
    if (shown < e.silent.size()) text += fmt::format(", and {} more", e.silent.size() - shown);
    log_event(LogLevel::info, {"silent_summary", text},
              {json_field("silent", e.silent.size()), json_field("up", e.up),
               json_field("flapping", e.flapping), json_field("hosts", LogValue::strings(names)),
               json_field("not_named", e.silent.size() - shown)});
}

}  // namespace beat
