// GET /hosts and /hosts/<name>: hosts as JSON. Pure.
#pragma once

#include <cstddef>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "beat_server/core/http/http_message.hpp"
#include "beat_server/core/ingest/registry.hpp"
#include "beat_server/core/pages/server_status.hpp"

namespace beat {

// "up", "silent" or "unknown".
std::string_view to_string(HostState s) noexcept;

// Up to `limit` hosts of `registry` in the order status pages list them: silent hosts first,
// then by name. The pointers stay valid while the registry is unchanged. O(n log n) for every
// host, O(n log limit) when `limit` is smaller.
std::vector<const HostRecord*> hosts_silent_first(
    const Registry& registry, std::size_t limit = std::numeric_limits<std::size_t>::max());

// {"generated_at": Unix seconds, "hosts_up": n, "hosts_silent": n, "hosts": [...]}: every host
// as render_host_json() writes it, silent ones first, then by name. Invalid UTF-8 is replaced,
// never thrown on. O(hosts log hosts + metrics of every host); each host's object is written
// straight into the text, so the only large allocation is the text itself.
std::string render_hosts_json(const StatusView& view);

// The page of render_hosts_json() and a line feed, written a slice at a time as the connection
// takes it. `view` is copied; what it refers to must outlive the source. Each write() does one
// bounded step: the first writes generated_at, hosts_up and hosts_silent (the fleet at that
// moment); the next ones copy the hosts' names and states (kFleetWalkStep registry indexes each,
// fleet_walk.hpp), then sort them (kFleetSortStep comparisons each); then hosts are listed, about
// `budget` bytes or 4,096 hosts a slice.
//
// What the page says when the fleet changes meanwhile: the hosts listed are those present at the
// first slice and still present when the walk copied them, in the order of their states then
// (silent ones first); each host's object is written whole in one slice, so it
// is of one moment (times and ages at `view.now_ms`), though its state may have changed since the
// order was taken; a host added later is not listed; one removed (forgotten) is not listed after
// its removal, and no slice reads its record; no host is listed twice. The counts may then differ
// from the hosts listed. With an unchanged fleet the slices put together are
// render_hosts_json()'s page and a line feed, byte for byte.
std::unique_ptr<BodySource> stream_hosts_json(const StatusView& view);

// One host's object: name, state ("up", "silent", "unknown"), flapping, last_seen (Unix seconds),
// last_seen_age_seconds, next_beat (Unix seconds when the detector expects the host's next beat)
// and next_beat_in_seconds (how long until then; negative once overdue), address,
// interval_seconds, beats, lost, loss_rate (recent share of beats lost), restarts, duplicates, phi
// (null unless the phi detector has a value), plan (the name of the plan the server wants the host
// to run, or null), plan_wanted (its version, 8 hex digits, or null), plan_running (the version
// the agent's latest beat says it runs, or null for its local settings) and metrics (name ->
// latest value; non-finite values are null), keys in byte order as nlohmann::json writes an
// object's. Names are escaped as json_text.hpp says. O(metrics log metrics).
std::string render_host_json(const HostRecord& host, const StatusView& view);

// Appends render_host_json()'s text to `out`; `metrics` is scratch for the host's metrics in
// name order, reused from one host to the next.
void append_host_json(std::string& out, const HostRecord& host, const StatusView& view,
                      std::vector<const HostMetric*>& metrics);

}  // namespace beat
