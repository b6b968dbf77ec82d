#include "beat_server/core/pages/status_page.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <iterator>
#include <optional>
#include <vector>

#include "beat_server/core/pages/host_page.hpp"
#include "beat_server/core/pages/hosts_json.hpp"
#include "beat_server/core/pages/svg_chart.hpp"

namespace beat {

namespace {

// The agent's metrics the page shows (docs/agent_metrics.md), with how each value is written.
// The first two get a sparkline of their last hour.
struct KeyMetric {
    std::string_view title;
    std::string_view name;
    std::string_view format;
    bool sparkline;
};
constexpr KeyMetric kKeyMetrics[] = {
    {"CPU", "cpu", "{:.1f}%", true},
    {"Memory", "mem.used_pct", "{:.1f}%", true},
    {"Load", "load.1", "{:.2f}", false},
    {"Disk /", "disk./.used_pct", "{:.0f}%", false},
};

constexpr int kSparkWidth = 80;
constexpr int kSparkHeight = 18;

constexpr std::string_view kHead = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="5">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328;
  background: #f6f8fa; margin: 0; padding: 24px 32px; }}
h1 {{ font-size: 20px; margin: 0 0 4px; }}
.summary {{ font-size: 16px; margin: 0 0 4px; }}
.summary .silent {{ color: #b42318; font-weight: 600; }}
.summary .up {{ color: #1a7f37; font-weight: 600; }}
.meta {{ color: #656d76; margin: 0 0 16px; }}
.meta a {{ color: #0969da; text-decoration: none; }}
table {{ border-collapse: separate; border-spacing: 0; background: #fff; border: 1px solid #d0d7de;
  border-radius: 6px; overflow: hidden; min-width: 100%; }}
th, td {{ padding: 6px 12px; text-align: left; white-space: nowrap; }}
th {{ background: #eaeef2; font-weight: 600; border-bottom: 1px solid #d0d7de; }}
td.num, th.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
tr + tr td {{ border-top: 1px solid #eaeef2; }}
tr.silent td {{ background: #ffebe9; }}
tr.silent td:first-child {{ box-shadow: inset 4px 0 0 #cf222e; }}
.name {{ font-weight: 600; }}
{state_style}
.more, .empty {{ color: #656d76; margin: 12px 0 0; }}
.name a {{ color: inherit; text-decoration: none; }}
.name a:hover {{ text-decoration: underline; }}
svg.spark {{ vertical-align: middle; margin-right: 6px; }}
svg.spark path {{ fill: none; stroke: #0969da; stroke-width: 1.2; stroke-linecap: round; }}
.fleet {{ margin: 0 0 16px; }}
.fleet svg {{ background: #fff; border: 1px solid #d0d7de; border-radius: 6px; }}
.fleet .up {{ stroke: #2da44e; }}
.fleet .silent {{ stroke: #cf222e; }}
.fleet span {{ display: block; color: #656d76; font-size: 12px; }}
</style>
</head>
<body>
)";

// The slot of metric `name` of `host`, if it sends one.
const HostMetric* metric(const HostRecord& host, std::string_view name) {
    for (const HostMetric& m : host.metrics)
        if (m.name == name) return &m;
    return nullptr;
}

// The sparkline of a metric's last hour up to the view's time.
std::string sparkline(const HostMetric& m, const StatusView& view) {
    if (m.series == nullptr) return {};
    ChartFrame frame;
    frame.to_s = view.now_unix_ms / 1000;
    frame.from_s = frame.to_s - 3600;
    frame.width = kSparkWidth;
    frame.height = kSparkHeight;
    frame.gap_s = 2 * 3600 / kSparkWidth;
    ColumnDownsampler columns(frame);
    for (const Point& p : m.series->points_after(frame.from_s - 1))
        columns.add(p);
    return render_sparkline(columns.columns(), frame);
}

// The fleet strip: for each sample of the last day a bar as high as the hosts known, its silent
// part red, its up part green.
void append_fleet_strip(std::string& out, const FleetHistory& fleet, const StatusView& view) {
    constexpr int kWidth = 576;  // Two pixels a sample.
    constexpr int kHeight = 40;
    const std::int64_t from_ms =
        view.now_unix_ms - FleetHistory::kCapacity * kFleetSampleIntervalMs;
    std::size_t most = 1;
    for (std::size_t i = 0; i < fleet.size(); ++i)
        most = std::max(most, fleet[i].up + fleet[i].silent);
    std::string up, silent;
    auto up_it = std::back_inserter(up);
    auto silent_it = std::back_inserter(silent);
    for (std::size_t i = 0; i < fleet.size(); ++i) {
        const FleetSample& s = fleet[i];
        if (s.at_unix_ms <= from_ms) continue;
        const std::int64_t x =
            (s.at_unix_ms - from_ms - 1) * kWidth /
            (static_cast<std::int64_t>(FleetHistory::kCapacity) * kFleetSampleIntervalMs);
        const double up_h = static_cast<double>(s.up) * kHeight / static_cast<double>(most);
        const double all_h =
            static_cast<double>(s.up + s.silent) * kHeight / static_cast<double>(most);
        if (s.up > 0) fmt::format_to(up_it, "M{} {}V{:.1f}", x + 1, kHeight, kHeight - up_h);
        if (s.silent > 0)
            fmt::format_to(silent_it, "M{} {:.1f}V{:.1f}", x + 1, kHeight - up_h, kHeight - all_h);
    }
    fmt::format_to(std::back_inserter(out),
                   "<p class=\"fleet\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
                   "height=\"{}\" viewBox=\"0 0 {} {}\"><path class=\"up\" stroke-width=\"2\" "
                   "d=\"{}\"/><path class=\"silent\" stroke-width=\"2\" d=\"{}\"/></svg>"
                   "<span>Hosts up (green) and silent (red) over the last 24 h, sampled every 5 "
                   "min: {} samples since the server started.</span></p>\n",
                   kWidth, kHeight, kWidth, kHeight, up, silent, fleet.size());
}

// When the next beat is expected, `until_ms` from now: "in 3s", or "overdue 12s" once past.
std::string next_beat_text(std::int64_t until_ms) {
    if (until_ms < 0) return "overdue " + human_age(-until_ms);
    return "in " + human_age(until_ms);
}

// The table's optional columns.
struct Columns {
    bool phi = false;        // Phi: with the phi and probe detectors.
    bool judged_by = false;  // How each host is judged: with the probe detector.
    bool plan = false;       // The host's plan: with a plans file.
};

// One host's row, with the optional `columns`, and sparklines when `sparklines`.
void append_row(std::string& out, const HostRecord& host, const StatusView& view, Columns columns,
                bool sparklines) {
    const bool silent = host.liveness.state == HostState::silent;
    const std::string_view state = state_label(host);
    const DetectorReading reading = read_detector(host.liveness, view.now_ms);
    auto it = std::back_inserter(out);
    fmt::format_to(it,
                   "<tr{}><td class=\"name\"><a href=\"{}\">{}</a></td><td><span class=\"state "
                   "{}\">{}</span></td>"
                   "<td class=\"num\">{} ago</td><td class=\"num\">{}</td><td>{}</td>"
                   "<td class=\"num\">{}</td><td class=\"num\">{}</td>",
                   silent ? " class=\"silent\"" : "", html_escape(host_page_path(host.name)),
                   html_escape(host.name), state, state, human_age(view.now_ms - host.last_seen_ms),
                   next_beat_text(reading.expected_ms - view.now_ms),
                   html_escape(host.address.to_string()), interval_text(host.interval_ms),
                   // A PyHeartBeat host's beats are not numbered: its loss is unknown.
                   host.legacy ? std::string("-") : fmt::format("{:.1f}%", 100 * reading.loss));
    if (columns.judged_by) fmt::format_to(it, "<td>{}</td>", to_string(reading.judged_by));
    if (columns.plan) {
        // "pending" while its agent runs another plan than the one it should.
        const HostPlanView plan = view.monitor.plan_of(host);
        fmt::format_to(it, "<td>{}{}</td>", plan.plan ? html_escape(plan.plan->plan.name) : "-",
                       plan.running != plan.wanted ? " (pending)" : "");
    }
    if (columns.phi) {
        if (reading.phi)
            fmt::format_to(it, "<td class=\"num\">{:.1f}</td>", *reading.phi);
        else
            out += "<td class=\"num\">-</td>";
    }
    for (const KeyMetric& k : kKeyMetrics) {
        const HostMetric* m = metric(host, k.name);
        out += "<td class=\"num\">";
        if (m != nullptr && sparklines && k.sparkline) out += sparkline(*m, view);
        if (m != nullptr && std::isfinite(m->value))
            fmt::format_to(it, fmt::runtime(k.format), m->value);
        else
            out += '-';
        out += "</td>";
    }
    out += "</tr>\n";
}

}  // namespace

std::string_view state_label(const HostRecord& host) {
    if (host.liveness.state == HostState::up && host.liveness.flapping()) return "flapping";
    return to_string(host.liveness.state);
}

std::string interval_text(std::uint32_t ms) {
    if (ms < 60'000) return fmt::format("{:g}s", to_seconds(ms));
    return human_age(ms);
}

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

std::string human_age(std::int64_t ms) {
    const std::int64_t s = ms > 0 ? ms / 1000 : 0;
    const auto two_units = [](std::int64_t big, char big_unit, std::int64_t small,
                              char small_unit) {
        if (small == 0) return fmt::format("{}{}", big, big_unit);
        return fmt::format("{}{} {}{}", big, big_unit, small, small_unit);
    };
    if (s < 60) return fmt::format("{}s", s);
    if (s < 3600) return two_units(s / 60, 'm', s % 60, 's');
    if (s < 86'400) return two_units(s / 3600, 'h', s % 3600 / 60, 'm');
    return two_units(s / 86'400, 'd', s % 86'400 / 3600, 'h');
}

std::string render_status_page(const StatusView& view) {
    const Registry& registry = view.monitor.registry();
    const Liveness& liveness = view.monitor.liveness();
    const std::size_t total = registry.size();
    const std::vector<const HostRecord*> rows = hosts_silent_first(registry, kStatusPageMaxRows);
    const DetectorKind kind = liveness.config().kind;
    const Columns columns{kind != DetectorKind::fixed, kind == DetectorKind::probe,
                          view.monitor.plans() != nullptr};

    std::string out;
    out.reserve(4096 + rows.size() * 320);
    auto it = std::back_inserter(out);
    fmt::format_to(it, fmt::runtime(kHead), fmt::arg("state_style", kStateStyle),
                   fmt::arg("title", liveness.silent_count() > 0
                                         ? fmt::format("beat: {} silent", liveness.silent_count())
                                         : std::string("beat: all up")));
    fmt::format_to(
        it,
        "<h1>beat</h1>\n<p class=\"summary\">{} host{}: <span class=\"up\">{} up</span>, "
        "<span class=\"{}\">{} silent</span></p>\n",
        total, total == 1 ? "" : "s", liveness.up_count(),
        liveness.silent_count() > 0 ? "silent" : "", liveness.silent_count());
    const std::time_t generated = static_cast<std::time_t>(view.now_unix_ms / 1000);
    fmt::format_to(it,
                   "<p class=\"meta\">Generated {:%Y-%m-%d %H:%M:%S} UTC by beat {}, refreshed "
                   "every 5 s &middot; <a href=\"/hosts\">/hosts</a> &middot; "
                   "<a href=\"/metrics\">/metrics</a></p>\n",
                   fmt::gmtime(generated), html_escape(view.version));
    if (view.fleet != nullptr) append_fleet_strip(out, *view.fleet, view);

    if (rows.empty()) {
        out += "<p class=\"empty\">No host has sent a beat yet.</p>\n";
    } else {
        out +=
            "<table>\n<thead><tr><th>Host</th><th>State</th><th class=\"num\">Last seen</th>"
            "<th class=\"num\">Next beat</th><th>Address</th><th class=\"num\">Interval</th>"
            "<th class=\"num\">Loss</th>";
        if (columns.judged_by) out += "<th>Judged by</th>";
        if (columns.plan) out += "<th>Plan</th>";
        if (columns.phi) out += "<th class=\"num\">Phi</th>";
        for (const KeyMetric& k : kKeyMetrics)
            fmt::format_to(it, "<th class=\"num\">{}</th>", k.title);
        out += "</tr></thead>\n<tbody>\n";
        for (std::size_t i = 0; i < rows.size(); ++i)
            append_row(out, *rows[i], view, columns, i < kStatusPageSparklineRows);
        out += "</tbody>\n</table>\n";
        if (rows.size() < total) {
            fmt::format_to(it,
                           "<p class=\"more\">{} more hosts are not listed here: "
                           "<a href=\"/hosts\">/hosts</a> has them all.</p>\n",
                           total - rows.size());
        }
    }
    out += "</body>\n</html>\n";
    return out;
}

}  // namespace beat
