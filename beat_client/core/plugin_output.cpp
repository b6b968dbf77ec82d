#include "beat_client/core/plugin_output.hpp"

#include <fmt/core.h>

namespace beat {

PluginOutputReport parse_plugin_output(std::string_view plugin, std::string_view output, bool cut,
                                       MetricWriter& w) {
    if (output.size() > kMaxPluginOutputBytes) {
        output = output.substr(0, kMaxPluginOutputBytes);
        cut = true;
    }
    if (cut) output = output.substr(0, output.rfind('\n') + 1);  // npos + 1 leaves nothing.
    std::string prefix(plugin);
    prefix += '.';
    return {parse_metrics_file(output, w, kMaxPluginMetrics, prefix), cut};
}

std::string output_problem(const PluginOutputReport& r) {
    std::string out;
    if (r.lines.bad_lines > 0) {
        out = fmt::format("{} bad line{} ({})", r.lines.bad_lines,
                          r.lines.bad_lines == 1 ? "" : "s", r.lines.first_error);
    }
    if (r.cut) {
        if (!out.empty()) out += "; ";
        out += fmt::format("output cut at {} bytes", kMaxPluginOutputBytes);
    }
    return out;
}

std::string stderr_excerpt(std::string_view err) {
    err = err.substr(0, kMaxPluginStderrBytes);
    std::string out;
    out.reserve(err.size());
    for (const char c : err) {
        const auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7f || c == '"' || c == '\\') ? ' ' : c;
    }
    const std::size_t first = out.find_first_not_of(' ');
    if (first == std::string::npos) return {};
    return out.substr(first, out.find_last_not_of(' ') - first + 1);
}

}  // namespace beat
