#include "beat_client/core/extra_metrics.hpp"

#include <fmt/core.h>

#include "beat_client/core/text_fields.hpp"
#include "common/float_repr.hpp"

namespace beat {
namespace {

// Describes what is wrong with a (name, value) pair whose name will follow a prefix of
// `prefix_size` bytes, or returns "" when it is valid.
std::string_view pair_problem(std::string_view name, std::string_view value_text,
                              std::optional<double>& value, std::size_t prefix_size = 0) {
    if (!valid_name(name)) return "invalid metric name (1 to 255 bytes, no blanks or controls)";
    if (prefix_size + name.size() > kMaxNameLength)
        return "metric name over 255 bytes with its prefix";
    value = parse_finite_double(value_text);
    if (!value) return "value is not a finite number";
    return {};
}

}  // namespace

std::optional<Metric> parse_metric_assignment(std::string_view text, std::string& error) {
    const std::size_t eq = text.rfind('=');
    if (eq == std::string_view::npos) {
        error = fmt::format("expected name=value, got \"{}\"", text);
        return std::nullopt;
    }
    const std::string_view name = text.substr(0, eq);
    std::optional<double> value;
    if (const std::string_view problem = pair_problem(name, text.substr(eq + 1), value);
        !problem.empty()) {
        error = fmt::format("{} in \"{}\"", problem, text);
        return std::nullopt;
    }
    return Metric{std::string(name), *value};
}

MetricsFileReport parse_metrics_file(std::string_view content, MetricWriter& w,
                                     std::size_t max_metrics, std::string_view prefix) {
    MetricsFileReport report;
    std::size_t line_no = 0;
    while (!content.empty()) {
        std::string_view line = next_line(content);
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const std::string_view name = next_field(line);
        if (name.empty() || name.front() == '#') continue;
        const std::string_view value_text = next_field(line);
        std::optional<double> value;
        std::string_view problem = pair_problem(name, value_text, value, prefix.size());
        if (problem.empty() && !next_field(line).empty()) problem = "more than two fields";
        if (problem.empty() && report.metrics == max_metrics) problem = "too many metrics";
        if (!problem.empty()) {
            if (report.bad_lines++ == 0) {
                report.first_error = fmt::format("line {}: {}", line_no, problem);
            }
            continue;
        }
        w.add(*value, prefix, name);
        ++report.metrics;
    }
    return report;
}

}  // namespace beat
