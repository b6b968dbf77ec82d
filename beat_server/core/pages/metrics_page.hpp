// GET /metrics: the server's state in the Prometheus text exposition format 0.0.4. Pure.
#pragma once

#include <memory>
#include <string>

#include "beat_server/core/http/http_message.hpp"
#include "beat_server/core/pages/server_status.hpp"

namespace beat {

// The Content-Type of the exposition format.
inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

// Renders every host's liveness and latest metric values (hosts sorted by name, so that the page
// is stable from one scrape to the next) and the server's own counters: every reason of a
// by-reason counter is listed, at 0 too, so that rate() works from the first scrape; a process
// figure that `view.process` leaves unset is left out. Host and metric names are label values,
// escaped. Cost: O(hosts log hosts + metrics of every host). Throws std::invalid_argument only on a
// bug in the page's own family list (ExpositionWriter).
std::string render_metrics(const StatusView& view);

// The page of render_metrics(), written a slice at a time as the connection takes it, so that a
// fleet of any size never holds the loop for the whole page. `view` is copied; what it refers to
// must outlive the source. Each write() does one bounded step: the first takes the server's
// figures; the next ones copy the hosts' names (kFleetWalkStep registry indexes each,
// fleet_walk.hpp; about 40 bytes a host), then sort them (kFleetSortStep comparisons each); then
// the per-host families are written, about `budget` bytes or 4,096 hosts a slice, each host looked
// up by name as it is reached.
//
// What the page says when the fleet changes meanwhile:
// - The fleet-wide lines (the server's counters, beat_hosts, beat_hosts_flapping,
//   beat_registry_hosts, beat_hosts_judged, the process figures) are those of the first slice,
//   though they come last on the page; beat_hosts_plan counts the hosts as beat_host_up lists
//   them, each as of its slice.
// - The hosts listed are those known at the first slice and still known when the walk copied
//   their names: a host added later is not listed; one removed (forgotten) is not listed after its
//   removal, and no slice reads its record; no host is listed twice in a family.
// - A host's samples in one family are written in one slice, so its beat_metric samples are of
//   one moment; its samples in different families may be of different moments (its counters may
//   have grown between them). Times and ages are computed at `view.now_ms`.
// With an unchanged fleet the slices put together are render_metrics()'s page, byte for byte.
std::unique_ptr<BodySource> stream_metrics(const StatusView& view);

}  // namespace beat
