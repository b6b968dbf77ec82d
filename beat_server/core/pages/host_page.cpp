#include "beat_server/core/pages/host_page.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <ctime>
#include <iterator>

#include "beat_server/core/pages/hosts_json.hpp"
#include "beat_server/core/pages/status_page.hpp"

namespace beat {

namespace {

struct RangeChoice {
    std::string_view name;
    std::int64_t seconds;
};
constexpr RangeChoice kRanges[] = {
    {"1h", 3600},
    {"6h", 6 * 3600},
    {"24h", 86'400},
    {"7d", 7 * 86'400},
};

constexpr int kChartWidth = 720;
constexpr int kChartHeight = 120;

constexpr std::string_view kHead = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328;
  background: #f6f8fa; margin: 0; padding: 24px 32px; }}
h1 {{ font-size: 20px; margin: 0 0 8px; }}
h2 {{ font-size: 16px; margin: 20px 0 8px; }}
a {{ color: #0969da; text-decoration: none; }}
.meta {{ color: #656d76; margin: 0 0 12px; }}
{state_style}
dl.facts {{ display: grid; grid-template-columns: repeat(4, auto 1fr); gap: 4px 12px; margin: 0;
  background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 12px; }}
dl.facts dt {{ color: #656d76; }}
dl.facts dd {{ margin: 0; font-variant-numeric: tabular-nums; }}
.ranges a, .ranges b {{ margin-right: 8px; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 12px; }}
figure {{ margin: 0; background: #fff; border: 1px solid #d0d7de; border-radius: 6px;
  padding: 8px; }}
figcaption {{ font-weight: 600; margin-bottom: 4px; }}
svg.chart text {{ font-size: 11px; fill: #656d76; }}
svg.chart text.hover {{ fill: #1f2328; font-weight: 600; }}
svg.chart rect.plot {{ fill: #fff; stroke: #d0d7de; }}
svg.chart rect.silent {{ fill: #cf222e; fill-opacity: 0.18; }}
svg.chart path.line {{ fill: none; stroke: #0969da; stroke-width: 1.5; stroke-linecap: round;
  stroke-linejoin: round; }}
svg.chart line.cursor {{ stroke: #656d76; stroke-dasharray: 2 2; }}
table {{ border-collapse: collapse; background: #fff; border: 1px solid #d0d7de; }}
th, td {{ padding: 4px 12px; text-align: left; white-space: nowrap; }}
th {{ background: #eaeef2; }}
tr.silent td {{ background: #ffebe9; }}
.empty {{ color: #656d76; }}
</style>
</head>
<body>
)";

// Shows the value under the pointer: the column's min and max as data-values lists them.
constexpr std::string_view kHoverScript = R"(<script>
for (const svg of document.querySelectorAll('svg.chart')) {
  const cols = svg.dataset.values.split(';').filter(Boolean).map(c => c.split(':').map(Number));
  const hover = svg.querySelector('text.hover'), cursor = svg.querySelector('line.cursor');
  const left = 56, width = svg.viewBox.baseVal.width - left;
  const from = Number(svg.dataset.from), to = Number(svg.dataset.to);
  svg.addEventListener('mousemove', e => {
    const box = svg.getBoundingClientRect();
    const x = (e.clientX - box.left) * svg.viewBox.baseVal.width / box.width - left;
    let best = null;
    for (const c of cols) if (!best || Math.abs(c[0] - x) < Math.abs(best[0] - x)) best = c;
    if (!best || x < 0) { hover.textContent = ''; return; }
    cursor.setAttribute('x1', best[0]); cursor.setAttribute('x2', best[0]);
    const t = new Date((from + (to - from) * best[0] / width) * 1000);
    const v = best[1] === best[2] ? best[1] : best[1] + ' .. ' + best[2];
    hover.textContent = t.toISOString().slice(11, 16) + ' UTC: ' + v;
  });
  svg.addEventListener('mouseleave', () => { hover.textContent = ''; });
}
</script>
)";

std::string utc_time(std::int64_t unix_ms) {
    return fmt::format("{:%Y-%m-%d %H:%M:%S}",
                       fmt::gmtime(static_cast<std::time_t>(unix_ms / 1000)));
}

bool unreserved(unsigned char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

void append_facts(std::string& out, const HostRecord& host, const StatusView& view) {
    const DetectorReading reading = read_detector(host.liveness, view.now_ms);
    auto it = std::back_inserter(out);
    const auto fact = [&](std::string_view term, std::string_view value) {
        fmt::format_to(it, "<dt>{}</dt><dd>{}</dd>", term, value);
    };
    out += "<dl class=\"facts\">";
    fact("Address", html_escape(host.address.to_string()));
    fact("Interval", interval_text(host.interval_ms));
    fact("Last seen", human_age(view.now_ms - host.last_seen_ms) + " ago");
    fact("First seen", utc_time(to_unix_ms(view, host.first_seen_ms)) + " UTC");
    fact("Loss", host.legacy ? std::string("-") : fmt::format("{:.1f}%", 100 * reading.loss));
    fact("Beats", fmt::format("{}", host.beats));
    fact("Lost", fmt::format("{}", host.lost));
    fact("Restarts", fmt::format("{}", host.restarts));
    fact("Judged by", to_string(reading.judged_by));
    fact("Phi", reading.phi ? fmt::format("{:.2f}", *reading.phi) : std::string("-"));
    const std::int64_t until = reading.expected_ms - view.now_ms;
    fact("Next beat", until < 0 ? "overdue " + human_age(-until) : "in " + human_age(until));
    fact("Duplicates", fmt::format("{}", host.duplicates));
    out += "</dl>\n";
}

void append_charts(std::string& out, const HostRecord& host, const StatusView& view,
                   std::int64_t range_s) {
    ChartFrame frame;
    frame.to_s = view.now_unix_ms / 1000;
    frame.from_s = frame.to_s - range_s;
    frame.width = kChartWidth;
    frame.height = kChartHeight;
    // Beats further apart than three intervals (or two columns) mean the host was not heard.
    frame.gap_s =
        std::max<std::int64_t>(3 * ((host.interval_ms + 999) / 1000), 2 * range_s / kChartWidth);
    const std::vector<ShadedSpan> shaded = silent_spans(host.transitions, view);
    out += "<div class=\"charts\">\n";
    std::size_t charts = 0;
    for (const HostMetric& m : host.metrics) {
        if (m.series == nullptr) continue;
        ColumnDownsampler columns(frame);
        for (const Point& p : m.series->points_after(frame.from_s - 1)) {
            if (p.timestamp > frame.to_s) break;
            columns.add(p);
        }
        const std::string title = std::string(host.name) + "." + m.name;
        fmt::format_to(std::back_inserter(out), "<figure><figcaption>{}</figcaption>{}</figure>\n",
                       html_escape(m.name), render_chart(columns.columns(), shaded, frame, title));
        ++charts;
    }
    if (charts == 0) out += "<p class=\"empty\">This host sends no metrics.</p>\n";
    out += "</div>\n";
}

void append_transitions(std::string& out, const HostRecord& host, const StatusView& view) {
    const TransitionRing& ring = host.transitions;
    out += "<h2>Transitions</h2>\n";
    if (ring.empty()) {
        out += "<p class=\"empty\">None kept.</p>\n";
        return;
    }
    auto it = std::back_inserter(out);
    out +=
        "<table><thead><tr><th>When (UTC)</th><th>Ago</th><th>Transition</th><th>Last heard"
        "</th></tr></thead>\n<tbody>\n";
    for (std::size_t i = ring.size(); i-- > 0;) {
        const Transition& t = ring[i];
        fmt::format_to(it, "<tr{}><td>{}</td><td>{} ago</td><td>{}</td><td>{}</td></tr>\n",
                       starts_silence(t.kind) ? " class=\"silent\"" : "",
                       utc_time(to_unix_ms(view, t.at_ms)), human_age(view.now_ms - t.at_ms),
                       to_string(t.kind),
                       t.heard_ms == t.at_ms ? std::string("then")
                                             : human_age(t.at_ms - t.heard_ms) + " before");
    }
    out += "</tbody></table>\n";
}

}  // namespace

std::optional<std::int64_t> parse_chart_range(std::string_view query) noexcept {
    if (query.empty()) return kDefaultChartRangeS;
    constexpr std::string_view kKey = "range=";
    if (!query.starts_with(kKey)) return std::nullopt;
    const std::string_view value = query.substr(kKey.size());
    for (const RangeChoice& r : kRanges)
        if (value == r.name) return r.seconds;
    return std::nullopt;
}

std::string host_page_path(std::string_view name) {
    std::string out = "/host/";
    out.reserve(out.size() + name.size());
    for (const char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (unreserved(u))
            out += c;
        else
            out += fmt::format("%{:02X}", u);
    }
    return out;
}

std::vector<ShadedSpan> silent_spans(const TransitionRing& transitions, const StatusView& view) {
    std::vector<ShadedSpan> spans;
    std::int64_t silent_since = INT64_MIN;  // Unix ms; INT64_MIN: not silent.
    for (std::size_t i = 0; i < transitions.size(); ++i) {
        const Transition& t = transitions[i];
        if (starts_silence(t.kind)) {
            if (silent_since == INT64_MIN) silent_since = to_unix_ms(view, t.heard_ms);
        } else if (t.kind != TransitionKind::flapping && silent_since != INT64_MIN) {
            spans.push_back({silent_since / 1000, to_unix_ms(view, t.at_ms) / 1000});
            silent_since = INT64_MIN;
        }
    }
    if (silent_since != INT64_MIN) spans.push_back({silent_since / 1000, view.now_unix_ms / 1000});
    return spans;
}

std::string render_host_page(const HostRecord& host, const StatusView& view, std::int64_t range_s) {
    const std::string name = html_escape(host.name);
    const std::string_view state = state_label(host);
    std::string out;
    out.reserve(16'384 + host.metrics.size() * 8192);
    auto it = std::back_inserter(out);
    fmt::format_to(it, fmt::runtime(kHead), fmt::arg("state_style", kStateStyle),
                   fmt::arg("title", "beat: " + name));
    fmt::format_to(it, "<h1>{} <span class=\"state {}\">{}</span></h1>\n", name, state, state);
    fmt::format_to(it,
                   "<p class=\"meta\"><a href=\"/\">&larr; all hosts</a> &middot; "
                   "<a href=\"/hosts/{}\">JSON</a> &middot; generated {} UTC by beat {}</p>\n",
                   html_escape(host_page_path(host.name).substr(6)), utc_time(view.now_unix_ms),
                   html_escape(view.version));
    append_facts(out, host, view);
    out += "<h2>Metrics</h2>\n<p class=\"ranges\">";
    const std::string path = html_escape(host_page_path(host.name));
    for (const RangeChoice& r : kRanges) {
        if (r.seconds == range_s)
            fmt::format_to(it, "<b>{}</b>", r.name);
        else
            fmt::format_to(it, "<a href=\"{}?range={}\">{}</a>", path, r.name, r.name);
    }
    out += "<span class=\"empty\">shaded: silent</span></p>\n";
    append_charts(out, host, view, range_s);
    append_transitions(out, host, view);
    out += kHoverScript;
    out += "</body>\n</html>\n";
    return out;
}

std::string render_unknown_host_page(std::string_view name) {
    const std::string escaped = html_escape(name);
    return fmt::format(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<title>beat: unknown host {}</title>\n</head>\n<body>\n<h1>Unknown host</h1>\n"
        "<p>beat has not heard from a host named <b>{}</b>, or has forgotten it. "
        "<a href=\"/\">All hosts</a></p>\n</body>\n</html>\n",
        escaped, escaped);
}

}  // namespace beat
