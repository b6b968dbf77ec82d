#include "beat_server/core/sql/event_row.hpp"

#include <fmt/format.h>

namespace beat {
namespace {

EventRow row(const EventHost& host, std::int64_t at_ms, std::int64_t offset_ms,
             std::string_view event, std::string detail) {
    return {at_ms + offset_ms, host.name, std::string(event), host.address.to_string(),
            std::move(detail)};
}

}  // namespace

std::optional<EventRow> event_row(const Event& event, std::int64_t offset_ms) {
    if (const auto* e = std::get_if<HostNew>(&event))
        return row(e->host, e->at_ms, offset_ms, "new",
                   fmt::format(R"({{"interval_ms":{},"incarnation":{}}})", e->interval_ms,
                               e->incarnation));
    if (const auto* e = std::get_if<HostRestarted>(&event))
        return row(
            e->host, e->at_ms, offset_ms, "restarted",
            fmt::format(R"({{"incarnation":{},"restarts":{}}})", e->incarnation, e->restarts));
    if (const auto* e = std::get_if<HostSilent>(&event))
        return row(e->host, e->at_ms, offset_ms, "silent",
                   fmt::format(R"({{"silent_for_ms":{},"timeout_ms":{},"last_seq":{}}})",
                               e->silent_for_ms, e->timeout_ms, e->last_seq));
    if (const auto* e = std::get_if<HostBack>(&event))
        return row(e->host, e->at_ms, offset_ms, "back",
                   fmt::format(R"({{"away_for_ms":{},"lost":{},"restarted":{}}})", e->away_for_ms,
                               e->numbered && !e->restarted ? std::to_string(e->lost) : "null",
                               e->restarted));
    if (const auto* e = std::get_if<HostFlapping>(&event))
        return row(e->host, e->at_ms, offset_ms, "flapping",
                   fmt::format(R"({{"silent_for_ms":{},"timeout_ms":{}}})", e->silent_for_ms,
                               e->timeout_ms));
    if (const auto* e = std::get_if<HostSettled>(&event))
        return row(e->host, e->at_ms, offset_ms, "settled",
                   fmt::format(R"({{"state":"{}","since_heard_ms":{}}})",
                               e->state == HostState::up ? "up" : "silent", e->since_heard_ms));
    if (const auto* e = std::get_if<HostForgotten>(&event))
        return row(e->host, e->at_ms, offset_ms, "forgotten",
                   fmt::format(R"({{"silent_for_ms":{}}})", e->silent_for_ms));
    return std::nullopt;
}

}  // namespace beat
