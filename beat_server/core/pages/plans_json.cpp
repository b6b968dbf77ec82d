#include "beat_server/core/pages/plans_json.hpp"

#include <cstddef>
#include <nlohmann/json.hpp>
#include <vector>

namespace beat {
namespace {

using nlohmann::json;

// A plan's collectors or plugins, or null when the plan leaves the agent's own.
json items_json(const Plan& plan, const std::optional<std::vector<PlanItem>>& items) {
    if (!items) return nullptr;
    json out = json::array();
    for (const PlanItem& item : *items) {
        const std::optional<std::uint32_t> beats = plan_item_beats(plan, item);
        out.push_back({{"name", item.name},
                       {"every_seconds", to_seconds(item.every_ms)},
                       {"every_beats", beats ? json(*beats) : json(nullptr)}});
    }
    return out;
}

}  // namespace

std::string render_plans_json(const StatusView& view) {
    const Monitor& monitor = view.monitor;
    const PlanBook* book = monitor.plans();
    const std::size_t count = book != nullptr ? book->plans().size() : 0;
    std::vector<std::size_t> matched(count), running(count);
    std::size_t without = 0;
    monitor.registry().for_each([&](const HostRecord& h) {
        const HostPlanView p = monitor.plan_of(h);
        if (p.plan == nullptr) {
            ++without;
            return;
        }
        const auto i = static_cast<std::size_t>(p.plan - book->plans().data());
        ++matched[i];
        if (p.running == p.wanted) ++running[i];
    });
    json plans = json::array();
    for (std::size_t i = 0; i < count; ++i) {
        const PlanEntry& e = book->plans()[i];
        const Plan& p = e.plan;
        plans.push_back(
            {{"name", p.name},
             {"line", e.line},
             {"hosts", e.hosts},
             {"interval_seconds", p.interval_ms ? json(to_seconds(*p.interval_ms)) : json(nullptr)},
             {"collectors", items_json(p, p.collectors)},
             {"plugins", items_json(p, p.plugins)},
             {"version", format_plan_version(e.version)},
             {"hosts_matched", matched[i]},
             {"hosts_running", running[i]}});
    }
    const json out = {
        {"generated_at", to_seconds(view.now_unix_ms)},
        {"file", book != nullptr ? json(book->origin()) : json(nullptr)},
        {"loaded_at",
         view.plans_loaded_unix_ms ? json(to_seconds(*view.plans_loaded_unix_ms)) : json(nullptr)},
        {"hosts_without_plan", without},
        {"plans", std::move(plans)}};
    return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace beat
