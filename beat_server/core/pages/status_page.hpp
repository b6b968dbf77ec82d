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

// Rows that get sparklines of their host's CPU and memory over the last hour: the first listed
// (silent ones first), so that the page's cost stays bounded however large the fleet.
inline constexpr std::size_t kStatusPageSparklineRows = 100;

// The page: a summary line ("N hosts: U up, S silent"), then a table of hosts, silent ones first
// and highlighted, with their last-seen age, when the next beat is due (or how long it is
// overdue), address, interval, loss, how it is judged (with the probe detector), its plan and
// "(pending)" until its agent runs it (with a plans file), phi (with the phi detector) and the
// agent's CPU, memory, load and root disk figures ("-" when a host does not send one), when it
// was generated and beat's version. No scripts, no external assets; it reloads itself every 5
// seconds. Each host's name links to its page (host_page.hpp); the first
// kStatusPageSparklineRows rows have sparklines of the CPU and memory figures' last hour; with
// view.fleet, a strip of the hosts up and silent over the last day sits above the table.
// Everything taken from hosts is HTML-escaped. O(hosts log kStatusPageMaxRows + metrics of listed
// hosts + points of the last hour of kStatusPageSparklineRows hosts' two series).
std::string render_status_page(const StatusView& view);

// An age as people read it: "0s", "45s", "4m 10s", "4m", "2h 5m", "2h", "3d 4h", "3d"; whole
// units, rounded down; negative ages read "0s".
std::string human_age(std::int64_t ms);

// The CSS of the state badges (<span class="state up">): the status page's and the host
// pages'.
inline constexpr std::string_view kStateStyle =
    R"(.state { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px;
  font-weight: 600; vertical-align: middle; }
.state.up { background: #dafbe1; color: #1a7f37; }
.state.silent { background: #cf222e; color: #fff; }
.state.flapping { background: #fff8c5; color: #9a6700; }
.state.unknown { background: #eaeef2; color: #656d76; })";

// How a host's state reads on the pages, which is also its CSS class: "up", "silent",
// "unknown", or "flapping" for a flapping host that is up.
std::string_view state_label(const HostRecord& host);

// A beat interval as the pages show it: "5s", "0.5s" under a minute, else as human_age().
std::string interval_text(std::uint32_t ms);

// `text` with &, <, >, " and ' replaced by character references, safe in HTML text and in quoted
// attribute values.
std::string html_escape(std::string_view text);

}  // namespace beat
