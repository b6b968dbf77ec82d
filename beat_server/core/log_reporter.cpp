#include "beat_server/core/log_reporter.hpp"

#include "common/duration.hpp"
#include "common/log.hpp"

namespace beat {
namespace {

// What the detector says of the host now: phi (with the phi detector), the recent
// loss rate, and when its next beat is due, relative to now (negative: overdue).
std::string detector_fields(const HostRecord& h, std::int64_t now_ms) {
    const DetectorReading r = read_detector(h.liveness, now_ms);
    const std::int64_t due = r.expected_ms - now_ms;
    return fmt::format("phi={} loss={:.1f}% next_beat={}{}",
                       r.phi ? fmt::format("{:.2f}", *r.phi) : std::string("-"), r.loss * 100,
                       due >= 0 ? "+" : "", format_duration(due));
}

}  // namespace

LogReporter::LogReporter(std::size_t max_names, std::int64_t invalid_log_window_ms)
    : max_names_(max_names),
      invalid_limiter_(invalid_log_window_ms),
      refused_limiter_(invalid_log_window_ms) {}

void LogReporter::host_new(const HostRecord& h, std::int64_t) {
    log_info("host new host={} address={} interval={} incarnation={:016x}", h.name,
             h.address.to_string(), format_duration(h.interval_ms), h.sequence.incarnation());
}

void LogReporter::host_restarted(const HostRecord& h, std::int64_t) {
    log_info("host restarted host={} address={} incarnation={:016x} restarts={}", h.name,
             h.address.to_string(), h.sequence.incarnation(), h.restarts);
}

void LogReporter::host_silent(const HostRecord& h, std::int64_t now_ms) {
    log_warn("host silent host={} silent_for={} address={} last_seq={} timeout={} {}", h.name,
             format_duration(now_ms - h.last_seen_ms), h.address.to_string(), h.sequence.highest(),
             format_duration(h.liveness.timeout_ms), detector_fields(h, now_ms));
}

void LogReporter::host_back(const HostRecord& h, std::int64_t away_ms, std::uint64_t lost,
                            bool restarted, std::int64_t now_ms) {
    if (restarted) {
        log_info("host back host={} away_for={} lost=unknown restarted=yes address={} {}", h.name,
                 format_duration(away_ms), h.address.to_string(), detector_fields(h, now_ms));
    } else {
        log_info("host back host={} away_for={} lost={} address={} {}", h.name,
                 format_duration(away_ms), lost, h.address.to_string(), detector_fields(h, now_ms));
    }
}

void LogReporter::host_flapping(const HostRecord& h, std::int64_t now_ms) {
    log_warn(
        "host flapping host={} silent_for={} address={} timeout={} {} (its silences and returns "
        "are not logged until it settles)",
        h.name, format_duration(now_ms - h.last_seen_ms), h.address.to_string(),
        format_duration(h.liveness.timeout_ms), detector_fields(h, now_ms));
}

void LogReporter::host_settled(const HostRecord& h, std::int64_t now_ms) {
    const bool up = h.liveness.state == HostState::up;
    log_info("host settled host={} state={} {}={} address={} {}", h.name, up ? "up" : "silent",
             up ? "last_heard" : "silent_for", format_duration(now_ms - h.last_seen_ms),
             h.address.to_string(), detector_fields(h, now_ms));
}

void LogReporter::host_forgotten(const HostRecord& h, std::int64_t now_ms) {
    log_info("host forgotten host={} silent_for={} address={}", h.name,
             format_duration(now_ms - h.last_seen_ms), h.address.to_string());
}

void LogReporter::invalid_datagram(DecodeError error, const SourceAddress& from,
                                   std::int64_t now_ms) {
    if (!log_enabled(LogLevel::warn)) return;
    const std::string ip = from.ip();
    if (!invalid_limiter_.allow(ip, now_ms)) return;
    const std::uint64_t suppressed = invalid_limiter_.take_suppressed(ip);
    log_warn("invalid datagram from={} reason={} suppressed_since_last={}", from.to_string(),
             to_string(error), suppressed);
}

void LogReporter::datagram_refused(Refusal reason, std::string_view host, const SourceAddress& from,
                                   std::int64_t now_ms) {
    if (!log_enabled(LogLevel::warn)) return;
    // A source address cannot be spelled "host_limit", so the two kinds of key never meet.
    const std::string key = reason == Refusal::host_limit ? "host_limit" : from.ip();
    if (!refused_limiter_.allow(key, now_ms)) return;
    log_warn("refused datagram from={} host={} reason={} suppressed_since_last={}",
             from.to_string(), host, to_string(reason), refused_limiter_.take_suppressed(key));
}

void LogReporter::silent_summary(std::span<const HostRecord* const> silent, std::size_t up,
                                 std::int64_t now_ms) {
    if (silent.empty()) {
        log_info("silent hosts: none (up={})", up);
        return;
    }
    std::string names;
    const std::size_t shown = std::min(silent.size(), max_names_);
    for (std::size_t i = 0; i < shown; ++i) {
        if (i) names += ", ";
        names += fmt::format("{} ({})", silent[i]->name,
                             format_duration(now_ms - silent[i]->last_seen_ms));
    }
    if (shown < silent.size()) names += fmt::format(", and {} more", silent.size() - shown);
    log_info("silent hosts: {} (up={}): {}", silent.size(), up, names);
}

}  // namespace beat
