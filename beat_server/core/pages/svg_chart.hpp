// Line charts of a series as inline SVG, drawn on the server: the points are reduced to one
// column per pixel (its minimum and maximum, so a one-point spike still shows), then written as
// one path whatever the number of points. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "beat_server/core/store/point.hpp"

namespace beat {

// What a chart shows: the time span [from_s, to_s] (Unix seconds) over `width` x `height` pixels.
// Two points further apart than gap_s are not joined: the line breaks where the host was not
// heard.
struct ChartFrame {
    std::int64_t from_s = 0;
    std::int64_t to_s = 0;
    int width = 720;
    int height = 120;
    std::int64_t gap_s = 60;
};

// The points that fell in one pixel column.
struct ChartColumn {
    int x = 0;  // 0 .. width - 1.
    double min = 0;
    double max = 0;
    std::int64_t first_s = 0;  // The first and last point's timestamps.
    std::int64_t last_s = 0;
};

// Reduces points given in timestamp order to the columns of a frame. Points outside the frame's
// span and values that are not finite are skipped. O(1) a point; memory O(width).
class ColumnDownsampler {
  public:
    explicit ColumnDownsampler(const ChartFrame& frame) noexcept : frame_(frame) {}
    void add(const Point& p);
    // The columns that received a point, in increasing x.
    const std::vector<ChartColumn>& columns() const noexcept { return columns_; }

  private:
    ChartFrame frame_;
    std::vector<ChartColumn> columns_;
};

// The values a chart's vertical axis spans: the columns' minimum and maximum, taking in 0 when
// every value is positive (so a level reads against zero), widened by 1 when they are equal.
struct ValueRange {
    double lo = 0;
    double hi = 1;
};
ValueRange value_range(const std::vector<ChartColumn>& columns) noexcept;

// The SVG path data of `columns` in `frame` scaled to `range`: each column a vertical stroke from
// its maximum to its minimum ("M x y" or "L x y", y down from the top, one decimal), columns
// joined unless more than frame.gap_s apart, where a new subpath starts. Empty for no columns.
std::string chart_path(const std::vector<ChartColumn>& columns, const ChartFrame& frame,
                       ValueRange range);

// A span of time drawn shaded (the host was silent), Unix seconds.
struct ShadedSpan {
    std::int64_t from_s = 0;
    std::int64_t to_s = 0;
};

// One <rect class="silent"> per span overlapping the frame, clipped to it, full height, at least a
// pixel wide. Empty when none overlaps.
std::string shading_rects(const std::vector<ShadedSpan>& spans, const ChartFrame& frame);

// A value as a chart's axis shows it, short enough for the label column: 4 significant digits,
// or 3 and an SI suffix from 1,000 (k) to below 10^18 (P): 45.4G for 4.54e10, -12.3k.
std::string axis_label(double v);

// A whole chart: an <svg> with the shading, the line, the value range and the span's ends as
// labels, and the columns' values in a data-values attribute ("x:min:max;...") for the page's
// hover script. `title` is shown as the chart's accessible name and is escaped here. With no
// column, the chart says "no points in this range".
std::string render_chart(const std::vector<ChartColumn>& columns,
                         const std::vector<ShadedSpan>& shaded, const ChartFrame& frame,
                         std::string_view title);

// A sparkline: the path alone in a small <svg class="spark">, no labels; "-" for no column.
std::string render_sparkline(const std::vector<ChartColumn>& columns, const ChartFrame& frame);

}  // namespace beat
