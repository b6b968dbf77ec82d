// GET /metrics: the server's state in the Prometheus text exposition format 0.0.4. Pure.
#pragma once

#include <string>

#include "beat_server/core/server_status.hpp"

namespace beat {

// The Content-Type of the exposition format.
inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

// Renders every host's liveness and latest metric values and the server's own counters.
std::string render_metrics(const StatusView& view);

}  // namespace beat
