#include <catch2/catch.hpp>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "beat_server/core/pages/plans_json.hpp"
#include "tests/unit/server/pages/status_fixture.hpp"

using namespace beat;
using namespace beat::test;
using nlohmann::json;

TEST_CASE("without a plans file /plans lists no plan and every host without one", "[plans_json]") {
    StatusFixture f;
    f.beat("web1", 1, 0);
    f.beat("db-1", 1, 0);
    const json j = json::parse(render_plans_json(f.view(500)));
    CHECK(j.at("generated_at") == Approx((kUnixAtZero + 500) / 1000.0));
    CHECK(j.at("file").is_null());
    CHECK(j.at("loaded_at").is_null());
    CHECK(j.at("hosts_without_plan") == 2);
    CHECK(j.at("plans").empty());
}

TEST_CASE("/plans lists each plan in file order with its parts, version and hosts",
          "[plans_json]") {
    StatusFixture f;
    const auto book = std::make_shared<const PlanBook>(
        PlanBook::parse(std::string(kExamplePlans) + "[plans.quiet]\nhosts = [\"q*\"]\n"
                                                     "collectors = { cpu = \"1m\" }\n",
                        "/etc/beat/plans.toml"));
    f.monitor.set_plans(book);
    const std::uint32_t db = book->find("db")->version;
    f.plan_version = db;
    f.beat("db-1", 1, 0);
    f.beat("pg1.example", 1, 0);
    f.plan_version = 0;
    f.beat("db-2", 1, 0);
    f.beat("web1", 1, 0);

    StatusView v = f.view(1000);
    v.plans_loaded_unix_ms = kUnixAtZero - 60'000;
    const json j = json::parse(render_plans_json(v));
    CHECK(j.at("file") == "/etc/beat/plans.toml");
    CHECK(j.at("loaded_at") == Approx((kUnixAtZero - 60'000) / 1000.0));
    CHECK(j.at("hosts_without_plan") == 0);
    const json& plans = j.at("plans");
    REQUIRE(plans.size() == 3);

    const json& p = plans[0];
    CHECK(p.at("name") == "db");
    CHECK(p.at("line") == 3);
    CHECK(p.at("hosts") == json::array({"db-*", "pg?.example"}));
    CHECK(p.at("interval_seconds") == Approx(2.0));
    CHECK(p.at("version") == format_plan_version(db));
    CHECK(p.at("hosts_matched") == 3);
    CHECK(p.at("hosts_running") == 2);
    const json& disk = p.at("collectors").at(1);
    CHECK(disk.at("name") == "disk");
    CHECK(disk.at("every_seconds") == Approx(30.0));
    CHECK(disk.at("every_beats") == 15);
    CHECK(p.at("plugins").at(0).at("name") == "postgres");
    CHECK(p.at("plugins").at(0).at("every_beats") == 15);

    CHECK(plans[1].at("name") == "default");
    CHECK(plans[1].at("hosts").empty());
    CHECK(plans[1].at("plugins").is_null());  // The agent's own plugins.
    CHECK(plans[1].at("hosts_matched") == 1);
    CHECK(plans[1].at("hosts_running") == 0);

    // Without an interval of its own a plan's periods are counted in the agent's beats.
    const json& quiet = plans[2];
    CHECK(quiet.at("interval_seconds").is_null());
    CHECK(quiet.at("collectors").at(0).at("every_seconds") == Approx(60.0));
    CHECK(quiet.at("collectors").at(0).at("every_beats").is_null());
    CHECK(quiet.at("hosts_matched") == 0);
}

TEST_CASE("/plans counts hosts by the plans in force right after a reload", "[plans_json]") {
    StatusFixture f;
    f.monitor.set_plans(std::make_shared<const PlanBook>(PlanBook::parse(kExamplePlans, "a")));
    f.beat("db-1", 1, 0);
    f.monitor.set_plans(std::make_shared<const PlanBook>(
        PlanBook::parse("[plans.web]\nhosts = [\"web*\"]\ninterval = 1\n", "b")));
    const json j = json::parse(render_plans_json(f.view(500)));
    CHECK(j.at("file") == "b");
    CHECK(j.at("hosts_without_plan") == 1);
    REQUIRE(j.at("plans").size() == 1);
    CHECK(j.at("plans")[0].at("hosts_matched") == 0);
}
