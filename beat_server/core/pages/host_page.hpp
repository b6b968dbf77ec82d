// GET /host/<name>: one host's page, with a chart of each of its metrics over a recent range and
// its latest transitions. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "beat_server/core/ingest/registry.hpp"
#include "beat_server/core/pages/server_status.hpp"
#include "beat_server/core/pages/svg_chart.hpp"

namespace beat {

// The ranges a host page can show, in seconds: 1h (the default), 6h, 24h and 7d.
inline constexpr std::int64_t kDefaultChartRangeS = 3600;

// The range a host page's query string asks for: "" (or "range=1h") is an hour; "range=6h",
// "range=24h", "range=7d". Anything else, another parameter included, is nullopt (a 400).
std::optional<std::int64_t> parse_chart_range(std::string_view query) noexcept;

// "/host/" and `name` percent-encoded: every byte but ASCII letters, digits, '-', '.', '_' and
// '~' as %XX, so the link leads back to the host whatever its name holds.
std::string host_page_path(std::string_view name);

// The spans during which the host was silent as its transitions tell, from when it was last
// heard (not when it was declared silent) to when it came back, the last one up to `now_ms` when
// it is still silent; times converted to Unix seconds with `view`'s clocks. A flapping host's
// silences, which are not reported one by one, are not among them.
std::vector<ShadedSpan> silent_spans(const TransitionRing& transitions, const StatusView& view);

// The page: the host's state, address, interval, loss, counters and detector figures, links to
// the other ranges, one chart per metric with a series in the store (in the order the host first
// sent them) over the last `range_s` seconds to now, each downsampled to its width and with the
// silent spans shaded, then its transitions, newest first, with their times. Everything taken
// from the host is HTML-escaped. O(points in the range of the host's metrics + transitions); the
// page's size is bounded by the metrics' number and the charts' width, not the range.
std::string render_host_page(const HostRecord& host, const StatusView& view, std::int64_t range_s);

// The 404 page for a host nobody knows, naming it (escaped).
std::string render_unknown_host_page(std::string_view name);

}  // namespace beat
