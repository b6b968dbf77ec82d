#include "beat_client/core/config.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "beat_client/core/extra_metrics.hpp"
#include "beat_client/core/jitter.hpp"
#include "common/config_value.hpp"
#include "common/plan.hpp"
#include "common/toml_value.hpp"

namespace beat {
namespace {

void apply_collectors(AgentConfig& cfg, const toml::table& table) {
    for (auto&& [name, node] : table) {
        const std::string key = fmt::format("collectors.{}", name.str());
        const auto collector = parse_collector(name.str());
        if (!collector) {
            config_fail(key,
                        "unknown collector (known: cpu, mem, load, kernel, uptime, disk, net, "
                        "agent)");
        }
        const toml::table* settings = node.as_table();
        if (!settings) config_fail(key, "expected a table, got " + toml_type_name(node));
        for (auto&& [field, value] : *settings) {
            const std::string field_key = fmt::format("{}.{}", key, field.str());
            if (field.str() == "enabled") {
                const auto* b = value.as_boolean();
                if (!b)
                    config_fail(field_key, "expected true or false, got " + toml_type_name(value));
                set_collector_enabled(cfg, field_key, name.str(), b->get());
            } else if (field.str() == "every") {
                const auto* i = value.as_integer();
                if (!i)
                    config_fail(field_key,
                                "expected a whole number of beats, got " + toml_type_name(value));
                set_collector_every(cfg, field_key, *collector, i->get());
            } else {
                config_fail(field_key, "unknown key (known: enabled, every)");
            }
        }
    }
}

// One `[plugins.NAME]` table: `command` (required), `timeout`, `every`.
PluginConfig plugin_from_table(std::string_view name, const toml::node& node) {
    const std::string key = fmt::format("plugins.{}", name);
    if (!valid_plan_name(name)) {
        config_fail(key, fmt::format("invalid plugin name (1 to {} ASCII letters, digits, '_' or "
                                     "'-': it prefixes the plugin's metric names)",
                                     kMaxPlanNameLength));
    }
    const toml::table* settings = node.as_table();
    if (!settings) config_fail(key, "expected a table, got " + toml_type_name(node));
    PluginConfig p;
    p.name = std::string(name);
    for (auto&& [field, value] : *settings) {
        const std::string field_key = fmt::format("{}.{}", key, field.str());
        if (field.str() == "command") {
            const toml::array* a = value.as_array();
            if (!a)
                config_fail(field_key,
                            "expected an array of strings, got " + toml_type_name(value));
            p.command.clear();
            for (const toml::node& arg : *a) {
                const std::string_view text = string_value(arg, field_key);
                if (text.find('\0') != std::string_view::npos)
                    config_fail(field_key, "an argument holds a NUL character");
                p.command.emplace_back(text);
            }
            if (p.command.empty() || !p.command[0].starts_with('/')) {
                config_fail(field_key,
                            "expected the program's absolute path first (no shell "
                            "runs it), then its arguments");
            }
        } else if (field.str() == "timeout") {
            p.timeout_ms = duration_setting(field_key, duration_text(value, field_key),
                                            kMinPluginTimeoutMs, kMaxPluginTimeoutMs);
        } else if (field.str() == "every") {
            p.every_ms = duration_setting(field_key, duration_text(value, field_key),
                                          kMinIntervalMs, kMaxIntervalMs);
        } else {
            config_fail(field_key, "unknown key (known: command, timeout, every)");
        }
    }
    if (p.command.empty()) config_fail(key, "command is required");
    return p;
}

void apply_plugins(AgentConfig& cfg, const toml::table& table) {
    for (auto&& [name, node] : table) {
        PluginConfig p = plugin_from_table(name.str(), node);
        const auto same = std::find_if(cfg.plugins.begin(), cfg.plugins.end(),
                                       [&](const PluginConfig& c) { return c.name == p.name; });
        if (same != cfg.plugins.end()) {
            *same = std::move(p);
        } else if (cfg.plugins.size() == kMaxPlugins) {
            config_fail(fmt::format("plugins.{}", name.str()),
                        fmt::format("at most {} plugins", kMaxPlugins));
        } else {
            cfg.plugins.push_back(std::move(p));
        }
    }
}

void apply_metrics(AgentConfig& cfg, const toml::table& table) {
    for (auto&& [name, node] : table) {
        const std::string key = fmt::format("metrics.{}", name.str());
        const double value = number_value(node, key);
        set_metric(cfg, key, Metric{std::string(name.str()), value});
    }
}

}  // namespace

void set_servers(AgentConfig& cfg, std::string_view key, std::span<const std::string> values) {
    if (values.empty()) config_fail(key, "at least one server is needed");
    std::vector<Endpoint> servers;
    for (const std::string& v : values) {
        const auto e = parse_endpoint(v, kDefaultServerPort);
        if (!e || e->port == 0) {
            config_fail(key, fmt::format("expected HOST:PORT (port 1 to 65535), got \"{}\"", v));
        }
        servers.push_back(*e);
    }
    cfg.servers = std::move(servers);
}

void set_interval(AgentConfig& cfg, std::string_view key, std::string_view text) {
    cfg.interval_ms = duration_setting(key, text, kMinIntervalMs, kMaxIntervalMs);
}

void set_resolve_interval(AgentConfig& cfg, std::string_view key, std::string_view text) {
    cfg.resolve_interval_ms =
        duration_setting(key, text, kMinResolveIntervalMs, kMaxResolveIntervalMs);
}

void set_jitter(AgentConfig& cfg, std::string_view key, double fraction) {
    if (!(fraction >= 0 && fraction <= kMaxJitter)) {
        config_fail(key, fmt::format("expected a fraction of the interval from 0 to {}, got {}",
                                     kMaxJitter, fraction));
    }
    cfg.jitter = fraction;
}

void set_host(AgentConfig& cfg, std::string_view key, std::string_view host) {
    if (!valid_name(host)) {
        config_fail(key, fmt::format("\"{}\" is not a valid host name (1 to 255 bytes of UTF-8, no "
                                     "blanks or control characters)",
                                     host));
    }
    cfg.host = std::string(host);
}

void set_log_level(AgentConfig& cfg, std::string_view key, std::string_view level) {
    const auto l = parse_log_level(level);
    if (!l) config_fail(key, fmt::format("expected debug, info, warn or error, got \"{}\"", level));
    cfg.log_level = *l;
}

void set_metrics_file(AgentConfig& cfg, std::string_view key, std::string_view path) {
    if (path.empty()) config_fail(key, "expected a file path");
    cfg.metrics_file = std::string(path);
}

void set_key_file(AgentConfig& cfg, std::string_view key, std::string_view path) {
    if (path.empty()) config_fail(key, "expected a file path");
    cfg.key_file = std::string(path);
}

void set_metric(AgentConfig& cfg, std::string_view key, Metric metric) {
    if (!valid_name(metric.name)) {
        config_fail(key, "invalid metric name (1 to 255 bytes, no blanks or controls)");
    }
    if (!std::isfinite(metric.value)) config_fail(key, "value is not a finite number");
    const auto same = std::find_if(cfg.metrics.begin(), cfg.metrics.end(),
                                   [&](const Metric& m) { return m.name == metric.name; });
    if (same != cfg.metrics.end()) {
        same->value = metric.value;
    } else {
        cfg.metrics.push_back(std::move(metric));
    }
}

void set_metric_assignment(AgentConfig& cfg, std::string_view key, std::string_view text) {
    std::string error;
    auto m = parse_metric_assignment(text, error);
    if (!m) config_fail(key, error);
    set_metric(cfg, key, std::move(*m));
}

void set_collector_enabled(AgentConfig& cfg, std::string_view key, std::string_view collector,
                           bool enabled) {
    const auto c = parse_collector(collector);
    if (!c) {
        config_fail(key,
                    fmt::format("unknown collector \"{}\" (known: cpu, mem, load, kernel, uptime, "
                                "disk, net, agent)",
                                collector));
    }
    cfg.collectors[*c].enabled = enabled;
}

void set_collector_every(AgentConfig& cfg, std::string_view key, Collector collector,
                         std::int64_t every) {
    if (every < 1 || every > kMaxEvery) {
        config_fail(
            key, fmt::format("expected a number of beats from 1 to {}, got {}", kMaxEvery, every));
    }
    cfg.collectors[collector].every = static_cast<std::uint32_t>(every);
}

void set_pin(AgentConfig& cfg, std::string_view key, std::string_view setting) {
    PlanPins& pins = cfg.pins;
    if (setting == "interval") {
        pins.interval = true;
    } else if (setting == "collectors") {
        pins.collectors = true;
    } else if (setting == "plugins") {
        pins.plugins = true;
    } else if (setting.starts_with("collectors.")) {
        const auto c = parse_collector(setting.substr(11));
        if (!c) {
            config_fail(key, fmt::format("unknown collector in \"{}\" (known: cpu, mem, load, "
                                         "kernel, uptime, disk, net, agent)",
                                         setting));
        }
        pins.collector.add(*c);
    } else if (setting.starts_with("plugins.") && valid_plan_name(setting.substr(8))) {
        if (!pins.plugin_pinned(setting.substr(8))) pins.plugin.emplace_back(setting.substr(8));
    } else {
        config_fail(key, fmt::format("cannot pin \"{}\" (known: interval, collectors, "
                                     "collectors.NAME, plugins, plugins.NAME)",
                                     setting));
    }
}

void apply_config_toml(AgentConfig& cfg, std::string_view toml_text, std::string_view origin) {
    const toml::table root = parse_config_toml(toml_text, origin);
    for (auto&& [name, node] : root) {
        const std::string_view key = name.str();
        if (key == "servers") {
            std::vector<std::string> values;
            if (node.is_string()) {
                values.emplace_back(string_value(node, key));
            } else if (const toml::array* a = node.as_array()) {
                for (const toml::node& item : *a)
                    values.emplace_back(string_value(item, key));
            } else {
                config_fail(
                    key, "expected an array of \"HOST:PORT\" strings, got " + toml_type_name(node));
            }
            set_servers(cfg, key, values);
        } else if (key == "interval") {
            set_interval(cfg, key, duration_text(node, key));
        } else if (key == "resolve_interval") {
            set_resolve_interval(cfg, key, duration_text(node, key));
        } else if (key == "jitter") {
            set_jitter(cfg, key, number_value(node, key));
        } else if (key == "host") {
            set_host(cfg, key, string_value(node, key));
        } else if (key == "log_level") {
            set_log_level(cfg, key, string_value(node, key));
        } else if (key == "metrics_file") {
            set_metrics_file(cfg, key, string_value(node, key));
        } else if (key == "key_file") {
            set_key_file(cfg, key, string_value(node, key));
        } else if (key == "accept_unsigned_plans") {
            const auto* b = node.as_boolean();
            if (!b) config_fail(key, "expected true or false, got " + toml_type_name(node));
            cfg.accept_unsigned_plans = b->get();
        } else if (key == "pin") {
            const toml::array* a = node.as_array();
            if (!a) config_fail(key, "expected an array of strings, got " + toml_type_name(node));
            for (const toml::node& item : *a)
                set_pin(cfg, key, string_value(item, key));
        } else if (key == "metrics" && node.is_table()) {
            apply_metrics(cfg, *node.as_table());
        } else if (key == "collectors" && node.is_table()) {
            apply_collectors(cfg, *node.as_table());
        } else if (key == "plugins" && node.is_table()) {
            apply_plugins(cfg, *node.as_table());
        } else if (key == "metrics" || key == "collectors" || key == "plugins") {
            config_fail(key, "expected a table, got " + toml_type_name(node));
        } else {
            config_fail(
                key,
                "unknown key (known: servers, interval, host, log_level, metrics_file, key_file, "
                "jitter, resolve_interval, accept_unsigned_plans, pin, [metrics], "
                "[collectors.NAME], [plugins.NAME])");
        }
    }
}

}  // namespace beat
