// GET /hosts and /hosts/<name>: hosts as JSON. Pure.
#pragma once

#include <string>

#include "beat_server/core/registry.hpp"
#include "beat_server/core/server_status.hpp"

namespace beat {

// {"hosts": [...], ...}: every host, silent ones first.
std::string render_hosts_json(const StatusView& view);
// One host's object.
std::string render_host_json(const HostRecord& host, const StatusView& view);

}  // namespace beat
