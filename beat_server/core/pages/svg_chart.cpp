#include "beat_server/core/pages/svg_chart.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <iterator>

#include "beat_server/core/pages/status_page.hpp"

namespace beat {

namespace {

std::int64_t span_of(const ChartFrame& frame) noexcept {
    return std::max<std::int64_t>(1, frame.to_s - frame.from_s);
}

// The pixel column of `s` (within the frame's span).
int column_of(std::int64_t s, const ChartFrame& frame) noexcept {
    const std::int64_t x = (s - frame.from_s) * frame.width / span_of(frame);
    return static_cast<int>(std::clamp<std::int64_t>(x, 0, frame.width - 1));
}

// The vertical pixel of `v`, 0 at the top.
double y_of(double v, const ChartFrame& frame, ValueRange range) noexcept {
    const double y = (range.hi - v) / (range.hi - range.lo) * frame.height;
    return std::clamp(y, 0.0, static_cast<double>(frame.height));
}

std::string utc_minute(std::int64_t s) {
    return fmt::format("{:%Y-%m-%d %H:%M}", fmt::gmtime(static_cast<std::time_t>(s)));
}

}  // namespace

std::string axis_label(double v) {
    struct Unit {
        double scale;
        const char* suffix;
    };
    static constexpr Unit kUnits[] = {{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
    for (const Unit& u : kUnits)
        if (std::abs(v) >= u.scale && std::abs(v) < u.scale * 1000)
            return fmt::format("{:.3g}{}", v / u.scale, u.suffix);
    return fmt::format("{:.4g}", v);
}

void ColumnDownsampler::add(const Point& p) {
    if (p.timestamp < frame_.from_s || p.timestamp > frame_.to_s || !std::isfinite(p.value)) return;
    const int x = column_of(p.timestamp, frame_);
    if (columns_.empty() || columns_.back().x != x) {
        columns_.push_back({x, p.value, p.value, p.timestamp, p.timestamp});
        return;
    }
    ChartColumn& c = columns_.back();
    c.min = std::min(c.min, p.value);
    c.max = std::max(c.max, p.value);
    c.last_s = p.timestamp;
}

ValueRange value_range(const std::vector<ChartColumn>& columns) noexcept {
    if (columns.empty()) return {};
    ValueRange r{columns.front().min, columns.front().max};
    for (const ChartColumn& c : columns) {
        r.lo = std::min(r.lo, c.min);
        r.hi = std::max(r.hi, c.max);
    }
    if (r.lo > 0) r.lo = 0;
    if (r.hi - r.lo <= 0) r.hi = r.lo + 1;
    return r;
}

std::string chart_path(const std::vector<ChartColumn>& columns, const ChartFrame& frame,
                       ValueRange range) {
    std::string d;
    d.reserve(columns.size() * 24);
    auto it = std::back_inserter(d);
    const ChartColumn* previous = nullptr;
    for (const ChartColumn& c : columns) {
        const bool joined = previous != nullptr && c.first_s - previous->last_s <= frame.gap_s;
        fmt::format_to(it, "{}{}{} {:.1f}", d.empty() ? "" : " ", joined ? 'L' : 'M', c.x,
                       y_of(c.max, frame, range));
        if (c.min != c.max) fmt::format_to(it, " L{} {:.1f}", c.x, y_of(c.min, frame, range));
        previous = &c;
    }
    return d;
}

std::string shading_rects(const std::vector<ShadedSpan>& spans, const ChartFrame& frame) {
    std::string out;
    auto it = std::back_inserter(out);
    for (const ShadedSpan& s : spans) {
        if (s.to_s < frame.from_s || s.from_s > frame.to_s || s.to_s < s.from_s) continue;
        const int x0 = column_of(std::max(s.from_s, frame.from_s), frame);
        const int x1 = column_of(std::min(s.to_s, frame.to_s), frame);
        fmt::format_to(it,
                       "<rect class=\"silent\" x=\"{}\" y=\"0\" width=\"{}\" height=\"{}\">"
                       "<title>silent {} to {} UTC</title></rect>",
                       x0, std::max(1, x1 - x0), frame.height, utc_minute(s.from_s),
                       utc_minute(s.to_s));
    }
    return out;
}

std::string render_chart(const std::vector<ChartColumn>& columns,
                         const std::vector<ShadedSpan>& shaded, const ChartFrame& frame,
                         std::string_view title) {
    // Room for the labels: values on the left, times below.
    constexpr int kLeft = 56;
    constexpr int kBottom = 18;
    const ValueRange range = value_range(columns);
    std::string out;
    out.reserve(1024 + columns.size() * 48);
    auto it = std::back_inserter(out);
    fmt::format_to(it,
                   "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" "
                   "height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\" "
                   "data-from=\"{}\" data-to=\"{}\" data-values=\"",
                   frame.width + kLeft, frame.height + kBottom, frame.width + kLeft,
                   frame.height + kBottom, html_escape(title), frame.from_s, frame.to_s);
    for (const ChartColumn& c : columns)
        fmt::format_to(it, "{}:{:g}:{:g};", c.x, c.min, c.max);
    fmt::format_to(it,
                   "\"><g transform=\"translate({},0)\"><rect class=\"plot\" x=\"0\" y=\"0\" "
                   "width=\"{}\" height=\"{}\"/>",
                   kLeft, frame.width, frame.height);
    out += shading_rects(shaded, frame);
    if (columns.empty()) {
        fmt::format_to(it,
                       "<text class=\"none\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">no points "
                       "in this range</text>",
                       frame.width / 2, frame.height / 2);
    } else {
        fmt::format_to(it, "<path class=\"line\" d=\"{}\"/>", chart_path(columns, frame, range));
    }
    fmt::format_to(it, "<line class=\"cursor\" x1=\"-1\" x2=\"-1\" y1=\"0\" y2=\"{}\"/></g>",
                   frame.height);
    if (!columns.empty()) {
        fmt::format_to(it,
                       "<text class=\"axis\" x=\"{}\" y=\"10\" text-anchor=\"end\">{}</text>"
                       "<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                       kLeft - 4, axis_label(range.hi), kLeft - 4, frame.height,
                       axis_label(range.lo));
    }
    fmt::format_to(it,
                   "<text class=\"axis\" x=\"{}\" y=\"{}\">{}</text>"
                   "<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{} UTC</text>"
                   "<text class=\"hover\" x=\"{}\" y=\"10\" text-anchor=\"end\"></text></svg>",
                   kLeft, frame.height + 14, utc_minute(frame.from_s), kLeft + frame.width,
                   frame.height + 14, utc_minute(frame.to_s), kLeft + frame.width - 4);
    return out;
}

std::string render_sparkline(const std::vector<ChartColumn>& columns, const ChartFrame& frame) {
    if (columns.empty()) return "-";
    return fmt::format(
        "<svg class=\"spark\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
        "viewBox=\"0 -1 {} {}\"><path d=\"{}\"/></svg>",
        frame.width, frame.height, frame.width, frame.height + 2,
        chart_path(columns, frame, value_range(columns)));
}

}  // namespace beat
