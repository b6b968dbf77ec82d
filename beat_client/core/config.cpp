#include "beat_client/core/config.hpp"

#include <fmt/core.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cmath>
#include <optional>

#include "beat_client/core/extra_metrics.hpp"
#include "beat_client/core/jitter.hpp"
#include "beat_client/core/toml_guard.hpp"
#include "common/duration.hpp"

namespace beat {
namespace {

[[noreturn]] void fail(std::string_view key, std::string_view what) {
    throw ConfigError(fmt::format("{}: {}", key, what));
}

std::int64_t duration_in_range(std::string_view key, std::string_view text, std::int64_t min_ms,
                               std::int64_t max_ms) {
    const auto ms = parse_duration_ms(text);
    if (!ms || *ms < min_ms || *ms > max_ms) {
        fail(key, fmt::format("expected seconds (\"5\", \"0.5\") or a duration (\"250ms\", "
                              "\"1m\") from {} to {}, got \"{}\"",
                              format_duration(min_ms), format_duration(max_ms), text));
    }
    return *ms;
}

std::string type_name(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a number";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        default:
            return "a date or time";
    }
}

std::string_view string_value(const toml::node& n, std::string_view key) {
    if (const auto* s = n.as_string()) return s->get();
    fail(key, "expected a string, got " + type_name(n));
}

double number_value(const toml::node& n, std::string_view key) {
    if (const auto* i = n.as_integer()) return static_cast<double>(i->get());
    if (const auto* f = n.as_floating_point()) return f->get();
    fail(key, "expected a number, got " + type_name(n));
}

// Durations are written as seconds (5, 0.5) or as strings with a unit ("250ms").
std::string duration_text(const toml::node& n, std::string_view key) {
    if (n.is_string()) return std::string(string_value(n, key));
    const double seconds = number_value(n, key);
    if (!std::isfinite(seconds)) fail(key, "expected a finite number of seconds");
    return fmt::format("{}", seconds);
}

void apply_collectors(AgentConfig& cfg, const toml::table& table) {
    for (auto&& [name, node] : table) {
        const std::string key = fmt::format("collectors.{}", name.str());
        const auto collector = parse_collector(name.str());
        if (!collector) {
            fail(key,
                 "unknown collector (known: cpu, mem, load, kernel, uptime, disk, net, "
                 "agent)");
        }
        const toml::table* settings = node.as_table();
        if (!settings) fail(key, "expected a table, got " + type_name(node));
        for (auto&& [field, value] : *settings) {
            const std::string field_key = fmt::format("{}.{}", key, field.str());
            if (field.str() == "enabled") {
                const auto* b = value.as_boolean();
                if (!b) fail(field_key, "expected true or false, got " + type_name(value));
                set_collector_enabled(cfg, field_key, name.str(), b->get());
            } else if (field.str() == "every") {
                const auto* i = value.as_integer();
                if (!i)
                    fail(field_key, "expected a whole number of beats, got " + type_name(value));
                set_collector_every(cfg, field_key, *collector, i->get());
            } else {
                fail(field_key, "unknown key (known: enabled, every)");
            }
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
    if (values.empty()) fail(key, "at least one server is needed");
    std::vector<Endpoint> servers;
    for (const std::string& v : values) {
        const auto e = parse_endpoint(v, kDefaultServerPort);
        if (!e || e->port == 0) {
            fail(key, fmt::format("expected HOST:PORT (port 1 to 65535), got \"{}\"", v));
        }
        servers.push_back(*e);
    }
    cfg.servers = std::move(servers);
}

void set_interval(AgentConfig& cfg, std::string_view key, std::string_view text) {
    cfg.interval_ms = duration_in_range(key, text, kMinIntervalMs, kMaxIntervalMs);
}

void set_resolve_interval(AgentConfig& cfg, std::string_view key, std::string_view text) {
    cfg.resolve_interval_ms =
        duration_in_range(key, text, kMinResolveIntervalMs, kMaxResolveIntervalMs);
}

void set_jitter(AgentConfig& cfg, std::string_view key, double fraction) {
    if (!(fraction >= 0 && fraction <= kMaxJitter)) {
        fail(key, fmt::format("expected a fraction of the interval from 0 to {}, got {}",
                              kMaxJitter, fraction));
    }
    cfg.jitter = fraction;
}

void set_host(AgentConfig& cfg, std::string_view key, std::string_view host) {
    if (!valid_name(host)) {
        fail(key, fmt::format("\"{}\" is not a valid host name (1 to 255 bytes of UTF-8, no "
                              "blanks or control characters)",
                              host));
    }
    cfg.host = std::string(host);
}

void set_log_level(AgentConfig& cfg, std::string_view key, std::string_view level) {
    const auto l = parse_log_level(level);
    if (!l) fail(key, fmt::format("expected debug, info, warn or error, got \"{}\"", level));
    cfg.log_level = *l;
}

void set_metrics_file(AgentConfig& cfg, std::string_view key, std::string_view path) {
    if (path.empty()) fail(key, "expected a file path");
    cfg.metrics_file = std::string(path);
}

void set_key_file(AgentConfig& cfg, std::string_view key, std::string_view path) {
    if (path.empty()) fail(key, "expected a file path");
    cfg.key_file = std::string(path);
}

void set_metric(AgentConfig& cfg, std::string_view key, Metric metric) {
    if (!valid_name(metric.name)) {
        fail(key, "invalid metric name (1 to 255 bytes, no blanks or controls)");
    }
    if (!std::isfinite(metric.value)) fail(key, "value is not a finite number");
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
    if (!m) fail(key, error);
    set_metric(cfg, key, std::move(*m));
}

void set_collector_enabled(AgentConfig& cfg, std::string_view key, std::string_view collector,
                           bool enabled) {
    const auto c = parse_collector(collector);
    if (!c) {
        fail(key, fmt::format("unknown collector \"{}\" (known: cpu, mem, load, kernel, uptime, "
                              "disk, net, agent)",
                              collector));
    }
    cfg.collectors[*c].enabled = enabled;
}

void set_collector_every(AgentConfig& cfg, std::string_view key, Collector collector,
                         std::int64_t every) {
    if (every < 1 || every > kMaxEvery) {
        fail(key, fmt::format("expected a number of beats from 1 to {}, got {}", kMaxEvery, every));
    }
    cfg.collectors[collector].every = static_cast<std::uint32_t>(every);
}

void apply_config_toml(AgentConfig& cfg, std::string_view toml_text, std::string_view origin) {
    if (const auto at = first_non_ascii(toml_text)) {
        throw ConfigError(fmt::format(
            "{}:{}:{}: a non-ASCII character; the config must be ASCII (write others as \\uXXXX "
            "escapes inside a \"string\")",
            origin, at->line, at->column));
    }
    toml::table root;
    try {
        root = toml::parse(toml_text, origin);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        throw ConfigError(
            fmt::format("{}:{}:{}: {}", origin, where.line, where.column, e.description()));
    }
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
                fail(key, "expected an array of \"HOST:PORT\" strings, got " + type_name(node));
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
        } else if (key == "metrics" && node.is_table()) {
            apply_metrics(cfg, *node.as_table());
        } else if (key == "collectors" && node.is_table()) {
            apply_collectors(cfg, *node.as_table());
        } else if (key == "metrics" || key == "collectors") {
            fail(key, "expected a table, got " + type_name(node));
        } else {
            fail(key,
                 "unknown key (known: servers, interval, host, log_level, metrics_file, key_file, "
                 "jitter, resolve_interval, [metrics], [collectors.NAME])");
        }
    }
}

}  // namespace beat
