// What the agent runs: its beat interval, which collectors run on which beats, which plugins,
// and the plan (if any) these come from. Built from the local config alone, or from the local
// config with a plan from the server laid over it. Pure.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "beat_client/core/collectors.hpp"
#include "beat_client/core/plan_pins.hpp"
#include "beat_client/core/plugin_config.hpp"
#include "common/plan.hpp"

namespace beat {

struct RunSettings {
    std::int64_t interval_ms = 5000;
    CollectorSchedule collectors;
    std::vector<PluginEvery> plugins;  // In the order of the local config.
    std::uint32_t plan_version = 0;    // 0: the local settings, no plan.
    std::string plan_name;             // Empty with version 0.
};

// The local schedule: each plugin that has a local `every`, at that period rounded to whole beats
// of `interval_ms` (every_beats()), in the order of `plugins`; plugins without one are left out.
std::vector<PluginEvery> local_plugin_schedule(std::span<const PluginConfig> plugins,
                                               std::int64_t interval_ms);

// The local settings: `interval_ms` and `collectors` as configured, and the plugins of
// local_plugin_schedule().
RunSettings local_settings(std::int64_t interval_ms, const CollectorSchedule& collectors,
                           std::span<const PluginConfig> plugins);

// What applying `plan` (of `version`) over the local settings gives, and what of the plan was
// left out and why ("collector foo: unknown", "plugin nginx: not installed", "interval: pinned").
struct AppliedPlan {
    RunSettings settings;
    std::vector<std::string> skipped;
};

// The plan's rules (README "Plans"): each part the plan sets replaces the local setting unless
// pinned; a collector list is complete (collectors it does not name are off, bar pinned ones);
// so is a plugin list (plugins it does not name do not run, bar pinned ones, which keep their
// local schedule); periods are rounded to whole beats of the interval in force, at least one; a
// plugin is run only when configured locally. A plan that sets nothing (sets_nothing()) gives the
// local settings with version 0. A plan applied in part (pins, unknown names) still runs as
// `version`, so that the server sees it arrived and does not send it again.
AppliedPlan apply_plan(std::int64_t interval_ms, const CollectorSchedule& collectors,
                       std::span<const PluginConfig> plugins, const PlanPins& pins,
                       const Plan& plan, std::uint32_t version);

// One line for the log and `once --print`: "interval=2s collectors=cpu,mem,disk/15
// plugins=postgres/15" (a period of one beat is left out).
std::string describe(const RunSettings& s);

}  // namespace beat
