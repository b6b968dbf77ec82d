// GET /metrics: the server's state in the Prometheus text exposition format 0.0.4. Pure.
#pragma once

#include <string>

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

}  // namespace beat
