// What a plugin run prints (README "Plugins"): "name value" lines on its stdout, read as a
// metrics file is, each metric sent as "<plugin>.<name>". Pure and bounded.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "beat_client/core/extra_metrics.hpp"
#include "beat_client/core/metric_writer.hpp"

namespace beat {

inline constexpr std::size_t kMaxPluginOutputBytes = 64 * 1024;  // Of stdout per run.
inline constexpr std::size_t kMaxPluginMetrics = 256;            // Per run.
inline constexpr std::size_t kMaxPluginStderrBytes = 512;        // Kept for the failure's log line.

struct PluginOutputReport {
    MetricsFileReport lines;  // Bad lines include those beyond kMaxPluginMetrics.
    bool cut = false;         // The run printed more than the output given holds.

    // True when every line was good and nothing was cut.
    bool ok() const noexcept { return lines.bad_lines == 0 && !cut; }
};

// Appends to `w` the metrics in `output`, the start of a run's stdout, each named
// "`plugin`.<name>": lines as parse_metrics_file() reads them, at most kMaxPluginMetrics; a name
// that is invalid, or over kMaxNameLength bytes with the prefix, makes its line bad. `cut` says
// that the run printed more than `output` holds: the last line, which may be incomplete, is then
// left out without being counted. Bytes of `output` past kMaxPluginOutputBytes are ignored as if
// cut there. `plugin` must be valid_plan_name().
PluginOutputReport parse_plugin_output(std::string_view plugin, std::string_view output, bool cut,
                                       MetricWriter& w);

// What was wrong with a run's output, for the log: "2 bad lines (line 3: value is not a finite
// number)", "output cut at 65536 bytes", or both joined by "; "; empty when r.ok().
std::string output_problem(const PluginOutputReport& r);

// The start of a failed run's stderr as it goes into a log line: at most kMaxPluginStderrBytes,
// every control character, '"' and backslash replaced by a blank, blanks at either end trimmed.
std::string stderr_excerpt(std::string_view err);

}  // namespace beat
