// GET /plans: the plans in force and how many hosts run each, as JSON. Pure.
#pragma once

#include <string>

#include "beat_server/core/pages/server_status.hpp"

namespace beat {

// {"generated_at": Unix seconds, "file": the plans file or null, "loaded_at": Unix seconds when
// it was read or null, "hosts_without_plan": n, "plans": [...]}: each plan in file order with its
// name, line, hosts (the patterns), interval_seconds (null when the plan leaves the agent's
// interval), collectors and plugins (null when the plan leaves the agent's own; else a list of
// {name, every_seconds, every_beats}, every_beats null when the plan sets no interval), version
// (8 hex digits), hosts_matched (known hosts whose plan it is) and hosts_running (those of them
// whose agent runs its version). O(hosts + the plans' items); a host not heard from since the
// plans were loaded costs one PlanBook::match().
std::string render_plans_json(const StatusView& view);

}  // namespace beat
