// A plugin the node has installed: `[plugins.NAME]` in the agent config (README "Plugins").
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace beat {

inline constexpr std::size_t kMaxPlugins = 32;
inline constexpr std::int64_t kMinPluginTimeoutMs = 100;
inline constexpr std::int64_t kMaxPluginTimeoutMs = 3'600'000;

struct PluginConfig {
    std::string name;                      // valid_plan_name(); prefixes the plugin's metric names.
    std::vector<std::string> command;      // argv, run without a shell; the first an absolute path.
    std::int64_t timeout_ms = 5000;        // kMinPluginTimeoutMs..kMaxPluginTimeoutMs.
    std::optional<std::int64_t> every_ms;  // Unset: runs only when a plan names it.
};

// A plugin that runs, and on which beats: when beat_index % every == 0.
struct PluginEvery {
    std::string name;
    std::uint32_t every = 1;
    bool operator==(const PluginEvery&) const = default;
};

}  // namespace beat
