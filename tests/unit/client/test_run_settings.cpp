#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "beat_client/core/run_settings.hpp"

using namespace beat;

namespace {

constexpr std::uint32_t kVersion = 0x1a2b3c4d;

std::vector<PluginConfig> installed() {
    std::vector<PluginConfig> p(2);
    p[0].name = "nginx";
    p[0].command = {"/usr/lib/beat/plugins/nginx"};
    p[0].every_ms = 60'000;
    p[1].name = "postgres";
    p[1].command = {"/usr/lib/beat/plugins/postgres"};
    return p;
}

Plan db_plan() {
    Plan p;
    p.name = "db";
    p.interval_ms = 2000;
    p.collectors = std::vector<PlanItem>{{"cpu", 2000}, {"mem", 2000}, {"disk", 30'000}};
    p.plugins = std::vector<PlanItem>{{"postgres", 30'000}};
    return p;
}

AppliedPlan apply(const Plan& plan, const PlanPins& pins = {},
                  const CollectorSchedule& local = {}) {
    const std::vector<PluginConfig> plugins = installed();
    return apply_plan(5000, local, plugins, pins, plan, kVersion);
}

}  // namespace

TEST_CASE("the local settings run every collector as configured and plugins with a period",
          "[run_settings]") {
    CollectorSchedule local;
    local[Collector::disk].every = 12;
    const std::vector<PluginConfig> plugins = installed();
    const RunSettings s = local_settings(5000, local, plugins);
    CHECK(s.interval_ms == 5000);
    CHECK(s.plan_version == 0);
    CHECK(s.plan_name.empty());
    CHECK(s.collectors[Collector::disk].every == 12);
    // nginx every 60 s is every 12 beats; postgres has no local period and waits for a plan.
    CHECK(s.plugins == std::vector<PluginEvery>{{"nginx", 12}});
    CHECK(describe(s) ==
          "interval=5s collectors=cpu,mem,load,kernel,uptime,disk/12,net,agent plugins=nginx/12");
}

TEST_CASE("a plan sets the interval and runs only its collectors and plugins, in whole beats",
          "[run_settings]") {
    const AppliedPlan a = apply(db_plan());
    const RunSettings& s = a.settings;
    CHECK(a.skipped.empty());
    CHECK(s.plan_version == kVersion);
    CHECK(s.plan_name == "db");
    CHECK(s.interval_ms == 2000);
    CHECK(s.collectors[Collector::cpu].enabled);
    CHECK(s.collectors[Collector::cpu].every == 1);
    CHECK(s.collectors[Collector::disk].every == 15);
    for (Collector c :
         {Collector::load, Collector::kernel, Collector::uptime, Collector::net, Collector::agent})
        CHECK_FALSE(s.collectors[c].enabled);
    // nginx is installed with a local period, but the plan's list is complete.
    CHECK(s.plugins == std::vector<PluginEvery>{{"postgres", 15}});
    CHECK(describe(s) == "interval=2s collectors=cpu,mem,disk/15 plugins=postgres/15");
}

TEST_CASE("a period rounds to the nearest whole number of beats, at least one", "[run_settings]") {
    Plan p;
    p.name = "r";
    p.interval_ms = 2000;
    p.collectors = std::vector<PlanItem>{{"cpu", 100}, {"mem", 2999}, {"disk", 3000}};
    const RunSettings s = apply(p).settings;
    CHECK(s.collectors[Collector::cpu].every == 1);
    CHECK(s.collectors[Collector::mem].every == 1);
    CHECK(s.collectors[Collector::disk].every == 2);
}

TEST_CASE("a part the plan leaves out keeps the local setting", "[run_settings]") {
    Plan p;
    p.name = "slow";
    p.interval_ms = 10'000;
    CollectorSchedule local;
    local[Collector::net].enabled = false;
    const RunSettings s = apply(p, {}, local).settings;
    CHECK(s.interval_ms == 10'000);
    CHECK_FALSE(s.collectors[Collector::net].enabled);
    CHECK(s.collectors[Collector::cpu].enabled);
    // Local plugin periods are counted at the plan's interval: 60 s is 6 beats of 10 s.
    CHECK(s.plugins == std::vector<PluginEvery>{{"nginx", 6}});
}

TEST_CASE("unknown collectors and plugins not installed are left out and said so",
          "[run_settings]") {
    Plan p = db_plan();
    p.collectors->push_back({"gpu", 5000});
    p.plugins->push_back({"redis", 5000});
    const AppliedPlan a = apply(p);
    CHECK(a.skipped ==
          std::vector<std::string>{"collector gpu: unknown", "plugin redis: not installed"});
    CHECK(a.settings.plugins == std::vector<PluginEvery>{{"postgres", 15}});
    CHECK(a.settings.plan_version == kVersion);
}

TEST_CASE("pinned settings keep their local values under a plan", "[run_settings]") {
    PlanPins pins;
    pins.interval = true;
    pins.collector.add(Collector::net);
    pins.plugin.push_back("nginx");
    const AppliedPlan a = apply(db_plan(), pins);
    const RunSettings& s = a.settings;
    CHECK(s.interval_ms == 5000);
    // Periods count in beats of the interval in force: 30 s is 6 beats of 5 s.
    CHECK(s.collectors[Collector::disk].every == 6);
    CHECK(s.collectors[Collector::net].enabled);
    CHECK_FALSE(s.collectors[Collector::load].enabled);
    CHECK(s.plugins == std::vector<PluginEvery>{{"nginx", 12}, {"postgres", 6}});
    CHECK(a.skipped == std::vector<std::string>{"interval: pinned"});
    CHECK(s.plan_version == kVersion);

    PlanPins all;
    all.collectors = true;
    all.plugins = true;
    const AppliedPlan b = apply(db_plan(), all);
    CHECK(b.settings.collectors[Collector::load].enabled);
    CHECK(b.settings.plugins == std::vector<PluginEvery>{{"nginx", 30}});
    CHECK(b.skipped == std::vector<std::string>{"collectors: pinned", "plugins: pinned"});
}

TEST_CASE("a plan that sets nothing brings back the local settings and no plan version",
          "[run_settings]") {
    const AppliedPlan a = apply(local_plan());
    CHECK(a.settings.plan_version == 0);
    CHECK(a.settings.plan_name.empty());
    CHECK(a.settings.interval_ms == 5000);
    CHECK(a.settings.plugins == std::vector<PluginEvery>{{"nginx", 12}});
}

TEST_CASE("an empty list runs nothing of its kind", "[run_settings]") {
    Plan p;
    p.name = "quiet";
    p.collectors = std::vector<PlanItem>{};
    p.plugins = std::vector<PlanItem>{};
    const RunSettings s = apply(p).settings;
    for (Collector c : kAllCollectors)
        CHECK_FALSE(s.collectors[c].enabled);
    CHECK(s.plugins.empty());
    CHECK(describe(s) == "interval=5s collectors=none plugins=none");
}

TEST_CASE("the local plugin schedule has each plugin with a period, in whole beats",
          "[run_settings]") {
    std::vector<PluginConfig> plugins = installed();
    plugins.push_back(plugins[0]);
    plugins[2].name = "fast";
    plugins[2].every_ms = 100;  // Shorter than a beat: every beat.
    CHECK(local_plugin_schedule(plugins, 5000) ==
          std::vector<PluginEvery>{{"nginx", 12}, {"fast", 1}});
    CHECK(local_plugin_schedule(plugins, 40'000) ==
          std::vector<PluginEvery>{{"nginx", 2}, {"fast", 1}});
    CHECK(local_plugin_schedule({}, 5000).empty());
}
