// Metrics that the node publishes itself: "--metric name=value" on the command line and a file of
// "name value" lines that a script on the node rewrites.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "beat_client/core/metric_writer.hpp"
#include "common/wire.hpp"

namespace beat {

inline constexpr std::size_t kMaxFileMetrics = 1000;

// Parses "name=value" (a valid metric name, a finite number). On failure returns nullopt and sets
// `error` to what is wrong.
std::optional<Metric> parse_metric_assignment(std::string_view text, std::string& error);

struct MetricsFileReport {
    std::size_t metrics = 0;    // Metrics appended.
    std::size_t bad_lines = 0;  // Lines skipped as malformed, or beyond kMaxFileMetrics.
    std::string first_error;    // "line 3: ..." for the first bad line, empty when none.
};

// Parses a metrics file: one "name value" pair per line, separated by blanks; blank lines and
// lines starting with '#' are ignored. Valid pairs are appended to `w`, at most `max_metrics`,
// each named `prefix` followed by its name; every other line (a name too long with the prefix
// too) is counted as bad and the first one is described. `prefix` is empty, or holds only bytes
// valid in a name.
MetricsFileReport parse_metrics_file(std::string_view content, MetricWriter& w,
                                     std::size_t max_metrics = kMaxFileMetrics,
                                     std::string_view prefix = {});

}  // namespace beat
