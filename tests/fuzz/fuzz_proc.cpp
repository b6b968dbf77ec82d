// Fuzz driver for the agent's parsers of node-local text: the /proc parsers
// (beat_client/core: proc_stat, meminfo, loadavg, net_dev, disks, statm, uptime and the
// text_fields they share), the metrics file (extra_metrics) and a plugin's output
// (plugin_output). Every input goes through all of them, so that the seed corpus can be the real
// captures in tests/data/proc as they are.
//
// Invariants, for any input:
// - No parser reads outside the input, crashes or throws.
// - text_fields: the lines and fields are inside the input, lines hold no '\n', fields hold no
//   blank and are never empty; a field parse_u64() (common/parse_number) accepts is all digits.
// - Results keep their contracts: memory and disk percentages (from consistent statvfs() numbers)
//   are finite and in 0..100, load
//   averages and uptime finite and non-negative; net_dev never reports "lo" nor an empty name;
//   select_disks() picks distinct devices, each a disk filesystem, at most `max` of them; the
//   metrics file yields only valid names with finite values, at most `max_metrics` of them.
// - A plugin's output, whole and cut, yields at most kMaxPluginMetrics metrics, each a valid name
//   under the plugin's prefix with a finite value; it is reported cut when it was, or when it is
//   longer than kMaxPluginOutputBytes; a cut output gives no metric from after its last newline;
//   its problem is described exactly when it is not ok(). A stderr excerpt holds at most
//   kMaxPluginStderrBytes, no control character, quote or backslash, and no blank at either end.
// - net_dev and mounts give the same result into a vector that a previous parse filled as into
//   an empty one.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "beat_client/core/disks.hpp"
#include "beat_client/core/extra_metrics.hpp"
#include "beat_client/core/loadavg.hpp"
#include "beat_client/core/meminfo.hpp"
#include "beat_client/core/metric_writer.hpp"
#include "beat_client/core/net_dev.hpp"
#include "beat_client/core/plugin_output.hpp"
#include "beat_client/core/proc_stat.hpp"
#include "beat_client/core/statm.hpp"
#include "beat_client/core/text_fields.hpp"
#include "beat_client/core/uptime.hpp"
#include "common/parse_number.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace beat::fuzz {
namespace {

// A percentage, allowing the last-bit rounding of 100.0 * x / x for counts over 2^53.
bool is_pct(double v) noexcept {
    return std::isfinite(v) && v >= 0 && v <= 100 * (1 + 1e-15);
}

bool is_non_negative(double v) noexcept {
    return std::isfinite(v) && v >= 0;
}

void check_text_fields(std::string_view text) {
    std::string_view rest = text;
    while (!rest.empty()) {
        const std::size_t before = rest.size();
        std::string_view line = next_line(rest);
        FUZZ_CHECK(rest.size() < before);
        FUZZ_CHECK(within(text, line));
        FUZZ_CHECK(line.find('\n') == std::string_view::npos);
        for (std::string_view f = next_field(line); !f.empty(); f = next_field(line)) {
            FUZZ_CHECK(within(text, f));
            FUZZ_CHECK(f.find_first_of(" \t") == std::string_view::npos);
            if (parse_u64(f)) {
                FUZZ_CHECK(
                    std::all_of(f.begin(), f.end(), [](char c) { return c >= '0' && c <= '9'; }));
            }
        }
    }
}

void check_meminfo(std::string_view text) {
    const auto m = parse_meminfo(text);
    if (!m) return;
    FUZZ_CHECK(m->available <= m->total && m->swap_free <= m->swap_total);
    FUZZ_CHECK(is_pct(mem_used_pct(*m)));
    if (const auto swap = swap_used_pct(*m)) FUZZ_CHECK(is_pct(*swap));
}

// Parses `text` with `parse` into an empty vector, and into one that a parse of the text's second
// half filled first; checks that both give the same elements (by `same`) and returns them.
template <typename T, typename Parse, typename Same>
std::vector<T> parse_fresh_and_reused(std::string_view text, Parse parse, Same same) {
    std::vector<T> fresh, reused;
    parse(text.substr(text.size() / 2), reused);
    parse(text, reused);
    parse(text, fresh);
    FUZZ_CHECK(std::equal(fresh.begin(), fresh.end(), reused.begin(), reused.end(), same));
    return fresh;
}

void check_net_dev(std::string_view text) {
    const auto counters = parse_fresh_and_reused<NetCounters>(
        text, [](std::string_view t, std::vector<NetCounters>& out) { parse_net_dev(t, out); },
        [](const NetCounters& a, const NetCounters& b) {
            return a.name == b.name && a.rx_bytes == b.rx_bytes && a.tx_bytes == b.tx_bytes;
        });
    for (const NetCounters& n : counters)
        FUZZ_CHECK(!n.name.empty() && n.name != "lo");
}

void check_mounts(std::string_view text) {
    const auto mounts = parse_fresh_and_reused<Mount>(
        text, [](std::string_view t, std::vector<Mount>& out) { parse_mounts(t, out); },
        [](const Mount& a, const Mount& b) {
            return a.device == b.device && a.mount_point == b.mount_point && a.fs_type == b.fs_type;
        });
    std::vector<std::size_t> picked;
    for (std::size_t max : {kMaxDisks, std::size_t{2}}) {
        select_disks(mounts, picked, max);
        FUZZ_CHECK(picked.size() <= max);
        for (std::size_t i = 0; i < picked.size(); ++i) {
            FUZZ_CHECK(picked[i] < mounts.size() && is_disk_filesystem(mounts[picked[i]]));
            for (std::size_t j = 0; j < i; ++j)
                FUZZ_CHECK(mounts[picked[i]].device != mounts[picked[j]].device);
        }
    }
}

void check_disk_used_pct(std::string_view text) {
    std::uint64_t n[3];
    if (text.size() < sizeof n) return;
    std::memcpy(n, text.data(), sizeof n);
    const auto pct = disk_used_pct(n[0], n[1], n[2]);
    // Only numbers a statvfs() can give (bavail <= bfree <= blocks) are held to 0..100: with
    // bavail > bfree, used + bavail can wrap past 2^64 and give more than 100.
    if (pct && n[2] <= n[1]) FUZZ_CHECK(is_pct(*pct));
}

void check_metrics_file(std::string_view text) {
    constexpr std::size_t kMax = 4;
    std::vector<Metric> metrics;
    MetricWriter w(metrics);
    const MetricsFileReport r = parse_metrics_file(text, w, kMax);
    w.finish();
    FUZZ_CHECK(r.metrics == metrics.size() && r.metrics <= kMax);
    FUZZ_CHECK((r.bad_lines == 0) == r.first_error.empty());
    for (const Metric& m : metrics)
        FUZZ_CHECK(valid_name(m.name) && std::isfinite(m.value));
}

void check_plugin_output(std::string_view text) {
    std::vector<Metric> metrics;
    for (const bool cut : {false, true}) {
        MetricWriter w(metrics);
        const PluginOutputReport r = parse_plugin_output("plug", text, cut, w);
        w.finish();
        FUZZ_CHECK(r.lines.metrics == metrics.size() && metrics.size() <= kMaxPluginMetrics);
        FUZZ_CHECK(r.cut == (cut || text.size() > kMaxPluginOutputBytes));
        FUZZ_CHECK(r.ok() == (r.lines.bad_lines == 0 && !r.cut));
        FUZZ_CHECK(output_problem(r).empty() == r.ok());
        for (const Metric& m : metrics) {
            FUZZ_CHECK(valid_name(m.name) && m.name.starts_with("plug.") && m.name.size() > 5);
            FUZZ_CHECK(std::isfinite(m.value));
        }
        // What follows the last newline of a cut output never gives a metric.
        if (r.cut && !metrics.empty()) {
            const std::string_view kept = text.substr(0, kMaxPluginOutputBytes);
            FUZZ_CHECK(kept.find('\n') != std::string_view::npos);
        }
    }
    const std::string err = stderr_excerpt(text);
    FUZZ_CHECK(err.size() <= kMaxPluginStderrBytes);
    for (const char c : err) {
        const auto u = static_cast<unsigned char>(c);
        FUZZ_CHECK(u >= 0x20 && u != 0x7f && c != '"' && c != '\\');
    }
    FUZZ_CHECK(err.empty() || (err.front() != ' ' && err.back() != ' '));
}

}  // namespace
}  // namespace beat::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace beat;
    using namespace beat::fuzz;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check_text_fields(text);
    parse_proc_stat(text);
    check_meminfo(text);
    if (const auto l = parse_loadavg(text)) {
        FUZZ_CHECK(is_non_negative(l->one) && is_non_negative(l->five) &&
                   is_non_negative(l->fifteen));
    }
    check_net_dev(text);
    check_mounts(text);
    check_disk_used_pct(text);
    parse_statm_rss(text, 4096);
    if (const auto up = parse_uptime(text)) FUZZ_CHECK(is_non_negative(*up));
    check_metrics_file(text);
    check_plugin_output(text);
    return 0;
}
