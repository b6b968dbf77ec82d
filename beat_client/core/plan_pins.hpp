// The agent's settings that a plan from the server must not change: `pin = [...]` in the agent
// config (README "Plans").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "beat_client/core/collectors.hpp"

namespace beat {

struct PlanPins {
    bool interval = false;            // "interval": the local beat interval stays.
    bool collectors = false;          // "collectors": every collector keeps its local setting.
    CollectorSet collector;           // "collectors.NAME": that collector keeps its setting.
    bool plugins = false;             // "plugins": every plugin keeps its local schedule.
    std::vector<std::string> plugin;  // "plugins.NAME": that plugin keeps its local schedule.

    bool plugin_pinned(std::string_view name) const noexcept {
        for (const std::string& p : plugin) {
            if (p == name) return true;
        }
        return false;
    }
};

}  // namespace beat
