// GET /: a self-contained HTML page with the fleet at a glance. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "beat_server/core/pages/server_status.hpp"

namespace beat {

// Rows the page lists at most; the rest are counted in a line below the table, so the page stays
// small (about 330 bytes a row, 360 with phi) however large the fleet.
inline constexpr std::size_t kStatusPageMaxRows = 1000;

// The page: a summary line ("N hosts: U up, S silent"), then a table of hosts, silent ones first
// and highlighted, with their last-seen age, when the next beat is due (or how long it is
// overdue), address, interval, loss, how it is judged (with the probe detector), its plan and
// "(pending)" until its agent runs it (with a plans file), phi (with the phi detector) and the
// agent's CPU, memory, load and root disk figures ("-" when a host does not send one), when it
// was generated and beat's version. No scripts, no external assets; it reloads itself every 5
// seconds. Everything taken from hosts is HTML-escaped. O(hosts log kStatusPageMaxRows + metrics
// of listed hosts).
std::string render_status_page(const StatusView& view);

// An age as people read it: "0s", "45s", "4m 10s", "4m", "2h 5m", "2h", "3d 4h", "3d"; whole
// units, rounded down; negative ages read "0s".
std::string human_age(std::int64_t ms);

// `text` with &, <, >, " and ' replaced by character references, safe in HTML text and in quoted
// attribute values.
std::string html_escape(std::string_view text);

}  // namespace beat
