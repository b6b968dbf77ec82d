// The agent's settings: one struct with the defaults, filled from the config file and then from
// the command line. Every value is checked against its range; a bad one throws ConfigError with
// a message that starts with the key (or flag) it came from.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "beat_client/core/collectors.hpp"
#include "beat_client/core/plan_pins.hpp"
#include "beat_client/core/plugin_config.hpp"
#include "common/config_value.hpp"
#include "common/endpoint.hpp"
#include "common/key_ring.hpp"
#include "common/log.hpp"
#include "common/wire.hpp"

namespace beat {

inline constexpr std::uint16_t kDefaultServerPort = 43278;
inline constexpr std::int64_t kMinResolveIntervalMs = 1'000;
inline constexpr std::int64_t kMaxResolveIntervalMs = 86'400'000;

struct AgentConfig {
    std::vector<Endpoint> servers{{"127.0.0.1", kDefaultServerPort}};  // Each gets every beat.
    std::int64_t interval_ms = 5'000;           // kMinIntervalMs..kMaxIntervalMs.
    std::string host;                           // Empty: the system host name.
    std::vector<Metric> metrics;                // Fixed metrics sent with every beat.
    std::string metrics_file;                   // Empty: none. Re-read every beat.
    std::string key_file;                       // Empty: beats are not signed.
    std::optional<Key> key;                     // Resolved from key_file for `host` at start.
    CollectorSchedule collectors;               // All enabled, every beat.
    double jitter = 0.05;                       // Fraction of the interval, 0..kMaxJitter.
    std::int64_t resolve_interval_ms = 60'000;  // How often server host names are looked up.
    LogLevel log_level = LogLevel::info;
    // Plans from the server (README "Plans"): an agent with a key applies only signed ones; one
    // without applies none unless this is set.
    bool accept_unsigned_plans = false;
    PlanPins pins;  // What a plan must not change.
    std::vector<PluginConfig> plugins;
};

// Setters shared by the config file and the command line. `key` names the setting in messages
// ("interval", "--interval", "collectors.disk.every").

// Replaces the servers with `values` ("HOST:PORT", "[V6]:PORT", or "HOST" for the default port).
void set_servers(AgentConfig& cfg, std::string_view key, std::span<const std::string> values);
// Seconds with decimals ("0.5") or a duration with a unit ("250ms", "5s").
void set_interval(AgentConfig& cfg, std::string_view key, std::string_view text);
void set_resolve_interval(AgentConfig& cfg, std::string_view key, std::string_view text);
void set_jitter(AgentConfig& cfg, std::string_view key, double fraction);
void set_host(AgentConfig& cfg, std::string_view key, std::string_view host);
void set_log_level(AgentConfig& cfg, std::string_view key, std::string_view level);
void set_metrics_file(AgentConfig& cfg, std::string_view key, std::string_view path);
void set_key_file(AgentConfig& cfg, std::string_view key, std::string_view path);
// Adds a fixed metric, replacing one of the same name.
void set_metric(AgentConfig& cfg, std::string_view key, Metric metric);
// "name=value", as given to --metric.
void set_metric_assignment(AgentConfig& cfg, std::string_view key, std::string_view text);
void set_collector_enabled(AgentConfig& cfg, std::string_view key, std::string_view collector,
                           bool enabled);
void set_collector_every(AgentConfig& cfg, std::string_view key, Collector collector,
                         std::int64_t every);

// Pins a setting against plans: "interval", "collectors", "collectors.NAME" (a known collector),
// "plugins" or "plugins.NAME" (a valid plugin name).
void set_pin(AgentConfig& cfg, std::string_view key, std::string_view setting);

// Applies the TOML text of a config file (keys in docs/agent_metrics.md and
// systemd/beat-client.toml). `origin` (the file's path) prefixes syntax errors. Unknown keys are
// errors, so that a typo does not silently leave a default in place.
void apply_config_toml(AgentConfig& cfg, std::string_view toml_text, std::string_view origin);

}  // namespace beat
