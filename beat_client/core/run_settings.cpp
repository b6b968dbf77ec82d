#include "beat_client/core/run_settings.hpp"

#include <fmt/core.h>

#include "common/duration.hpp"
#include "common/every_beats.hpp"

namespace beat {
namespace {

const PlanItem* find_item(const std::vector<PlanItem>& items, std::string_view name) noexcept {
    for (const PlanItem& i : items) {
        if (i.name == name) return &i;
    }
    return nullptr;
}

const PluginConfig* find_plugin(std::span<const PluginConfig> plugins,
                                std::string_view name) noexcept {
    for (const PluginConfig& p : plugins) {
        if (p.name == name) return &p;
    }
    return nullptr;
}

// The local schedule of one plugin at `interval_ms`, appended when it has a local period.
void add_local_plugin(const PluginConfig& p, std::int64_t interval_ms,
                      std::vector<PluginEvery>& out) {
    if (p.every_ms) out.push_back({p.name, every_beats(*p.every_ms, interval_ms)});
}

}  // namespace

std::vector<PluginEvery> local_plugin_schedule(std::span<const PluginConfig> plugins,
                                               std::int64_t interval_ms) {
    std::vector<PluginEvery> out;
    for (const PluginConfig& p : plugins)
        add_local_plugin(p, interval_ms, out);
    return out;
}

RunSettings local_settings(std::int64_t interval_ms, const CollectorSchedule& collectors,
                           std::span<const PluginConfig> plugins) {
    RunSettings s;
    s.interval_ms = interval_ms;
    s.collectors = collectors;
    s.plugins = local_plugin_schedule(plugins, interval_ms);
    return s;
}

AppliedPlan apply_plan(std::int64_t interval_ms, const CollectorSchedule& collectors,
                       std::span<const PluginConfig> plugins, const PlanPins& pins,
                       const Plan& plan, std::uint32_t version) {
    AppliedPlan out;
    if (sets_nothing(plan)) {
        out.settings = local_settings(interval_ms, collectors, plugins);
        return out;
    }
    RunSettings& s = out.settings;
    s.plan_version = version;
    s.plan_name = plan.name;
    s.interval_ms = interval_ms;
    if (plan.interval_ms) {
        if (pins.interval) {
            out.skipped.emplace_back("interval: pinned");
        } else {
            s.interval_ms = *plan.interval_ms;
        }
    }

    s.collectors = collectors;
    if (plan.collectors && pins.collectors) {
        out.skipped.emplace_back("collectors: pinned");
    } else if (plan.collectors) {
        for (Collector c : kAllCollectors) {
            if (pins.collector.has(c)) continue;
            const PlanItem* item = find_item(*plan.collectors, to_string(c));
            s.collectors[c].enabled = item != nullptr;
            if (item) s.collectors[c].every = every_beats(item->every_ms, s.interval_ms);
        }
        for (const PlanItem& item : *plan.collectors) {
            const auto c = parse_collector(item.name);
            if (!c) {
                out.skipped.push_back(fmt::format("collector {}: unknown", item.name));
            } else if (pins.collector.has(*c)) {
                out.skipped.push_back(fmt::format("collector {}: pinned", item.name));
            }
        }
    }

    if (plan.plugins && pins.plugins) out.skipped.emplace_back("plugins: pinned");
    if (!plan.plugins || pins.plugins) {
        s.plugins = local_plugin_schedule(plugins, s.interval_ms);
        return out;
    }
    for (const PluginConfig& p : plugins) {
        if (pins.plugin_pinned(p.name)) {
            add_local_plugin(p, s.interval_ms, s.plugins);
        } else if (const PlanItem* item = find_item(*plan.plugins, p.name)) {
            s.plugins.push_back({p.name, every_beats(item->every_ms, s.interval_ms)});
        }
    }
    for (const PlanItem& item : *plan.plugins) {
        if (find_plugin(plugins, item.name) == nullptr) {
            out.skipped.push_back(fmt::format("plugin {}: not installed", item.name));
        } else if (pins.plugin_pinned(item.name)) {
            out.skipped.push_back(fmt::format("plugin {}: pinned", item.name));
        }
    }
    return out;
}

std::string describe(const RunSettings& s) {
    std::string out = fmt::format("interval={} collectors=", format_duration_unit(s.interval_ms));
    bool any = false;
    for (Collector c : kAllCollectors) {
        const CollectorSettings& cs = s.collectors[c];
        if (!cs.enabled) continue;
        if (any) out += ',';
        any = true;
        out += to_string(c);
        if (cs.every > 1) out += fmt::format("/{}", cs.every);
    }
    if (!any) out += "none";
    out += " plugins=";
    if (s.plugins.empty()) out += "none";
    for (std::size_t i = 0; i < s.plugins.size(); ++i) {
        if (i > 0) out += ',';
        out += s.plugins[i].name;
        if (s.plugins[i].every > 1) out += fmt::format("/{}", s.plugins[i].every);
    }
    return out;
}

}  // namespace beat
