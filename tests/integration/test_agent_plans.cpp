// The agent's side of plans (README "Plans", docs/datagram.md "Plans"): the real beat_client
// against a UDP socket in the test that plays its server and sends it plans.
#include <catch2/catch.hpp>

#include <signal.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/control.hpp"
#include "common/key_ring.hpp"
#include "common/plan.hpp"
#include "common/wire.hpp"
#include "tests/integration/fake_server.hpp"
#include "tests/integration/harness.hpp"

using namespace beat;
using namespace beat::test;
using Catch::Matchers::Contains;

namespace {

const std::string kKeyHex = "5555555555555555555555555555555555555555555555555555555555555555";

// The plan of the db hosts: beats every 100 ms, cpu and mem on each, disk on every 5th.
Plan db_plan() {
    Plan p;
    p.name = "db";
    p.interval_ms = 100;
    p.collectors = std::vector<PlanItem>{{"cpu", 100}, {"mem", 100}, {"disk", 500}};
    return p;
}

std::uint32_t version_of(const Plan& plan) {
    std::string body;
    encode_plan(plan, body);
    return plan_version(body);
}

// A plan datagram for the agent run of `hb`, signed under `key` when given.
std::string plan_for(const HeartbeatView& hb, const Plan& plan, const Key* key) {
    std::string body;
    encode_plan(plan, body);
    Control c;
    c.type = ControlType::plan;
    c.host = hb.host;
    c.incarnation = hb.incarnation;
    c.number = plan_version(body);
    c.time_ms = unix_now_ms();
    c.payload = body;
    std::string out;
    encode_control(c, key, out);
    return out;
}

// The prefixes of the metric names of `hb` ("cpu", "mem", "disk", ...: up to the first dot).
std::set<std::string> collectors_in(const HeartbeatView& hb) {
    std::set<std::string> out;
    MetricCursor cursor = hb.metrics();
    MetricView m;
    while (cursor.next(m))
        out.emplace(m.name.substr(0, m.name.find('.')));
    return out;
}

// Receives beats until one carries `version` (0: no plan), within 5 s; fails otherwise.
void beat_with_version(FakeServer& s, std::uint32_t version, HeartbeatView& hb) {
    const auto deadline = Clock::now() + 5s;
    while (Clock::now() < deadline) {
        s.receive_beat(hb);
        if (hb.plan_version == version) return;
    }
    FAIL("no beat with plan version " << version << " within 5 s");
}

}  // namespace

TEST_CASE("an agent with a key applies a signed plan from its next beat and reports its version",
          "[agent_plans]") {
    TempDir dir;
    const std::string keys = write_file(dir, "keys", kKeyHex + "\n");
    const Key key = *parse_key(kKeyHex);
    FakeServer s;
    auto agent = start_agent({"run", "--server", s.endpoint(), "--host", "db-1", "--interval",
                              "300ms", "--key-file", keys});
    HeartbeatView hb;
    s.receive_beat(hb);
    CHECK(hb.plan_version == 0);
    CHECK(hb.interval_ms == 300);
    CHECK(collectors_in(hb).count("load") == 1);

    // An unsigned plan is ignored by an agent with a key; the signed one is applied.
    s.reply(plan_for(hb, db_plan(), nullptr));
    s.reply(plan_for(hb, db_plan(), &key));
    const std::uint32_t version = version_of(db_plan());
    const auto applied = agent->wait_for_line("plan applied plan=db");
    REQUIRE(applied);
    CHECK(field(*applied, "version") == format_plan_version(version));
    CHECK(field(*applied, "interval") == "100ms");
    CHECK(field(*applied, "collectors") == "cpu,mem,disk/5");

    beat_with_version(s, version, hb);
    // From then on every beat runs the plan: its interval, and only its collectors, disk on
    // every 5th beat.
    int with_disk = 0;
    for (int i = 0; i < 10; ++i) {
        s.receive_beat(hb);
        CHECK(hb.plan_version == version);
        CHECK(hb.interval_ms == 100);
        std::set<std::string> c = collectors_in(hb);
        with_disk += static_cast<int>(c.erase("disk"));
        c.erase("swap");  // The mem collector's swap.used_pct.
        CHECK(c == std::set<std::string>{"cpu", "mem"});
    }
    CHECK(with_disk == 2);

    // Sent again (a server that missed the new version), the same plan changes nothing.
    s.reply(plan_for(hb, db_plan(), &key));
    // Withdrawn, the plan gives way to the local settings at the next beat.
    s.reply(plan_for(hb, local_plan(), &key));
    REQUIRE(agent->wait_for_line("plan withdrawn"));
    beat_with_version(s, 0, hb);
    CHECK(hb.interval_ms == 300);
    CHECK(agent->lines().size() > 0);
    int applied_lines = 0;
    for (const std::string& line : agent->lines())
        applied_lines += line.find("plan applied") != std::string::npos ? 1 : 0;
    CHECK(applied_lines == 1);
}

TEST_CASE("an agent without a key refuses plans unless its config accepts unsigned ones",
          "[agent_plans]") {
    TempDir dir;
    FakeServer s;
    auto strict = start_agent({"run", "--server", s.endpoint(), "--host", "web-1", "--interval",
                               "200ms", "--log-level", "debug"});
    HeartbeatView hb;
    s.receive_beat(hb);
    s.reply(plan_for(hb, db_plan(), nullptr));
    REQUIRE(strict->wait_for_line("reason=plan_unsigned"));
    // Beats after the refusal still run the local settings.
    for (int i = 0; i < 3; ++i) {
        s.receive_beat(hb);
        CHECK(hb.plan_version == 0);
        CHECK(hb.interval_ms == 200);
    }
    strict->signal(SIGTERM);
    REQUIRE(strict->wait_exit() == 0);
    for (const std::string& line : strict->lines())
        CHECK_THAT(line, !Contains("plan applied"));

    const std::string config = write_file(dir, "client.toml", "accept_unsigned_plans = true\n");
    FakeServer s2;
    auto lax = start_agent({"run", "--server", s2.endpoint(), "--host", "web-1", "--interval",
                            "200ms", "--config", config});
    s2.receive_beat(hb);
    s2.reply(plan_for(hb, db_plan(), nullptr));
    REQUIRE(lax->wait_for_line("plan applied plan=db"));
    beat_with_version(s2, version_of(db_plan()), hb);
    CHECK(hb.interval_ms == 100);
}

TEST_CASE("pinned settings and names the node does not have are kept out of a plan, and logged",
          "[agent_plans]") {
    TempDir dir;
    const std::string config = write_file(dir, "client.toml",
                                          "accept_unsigned_plans = true\n"
                                          "pin = [\"interval\", \"collectors.load\"]\n");
    FakeServer s;
    auto agent = start_agent({"run", "--server", s.endpoint(), "--host", "web-2", "--interval",
                              "200ms", "--config", config});
    HeartbeatView hb;
    s.receive_beat(hb);
    Plan plan = db_plan();
    plan.collectors->push_back({"gpu", 100});
    plan.plugins = std::vector<PlanItem>{{"redis", 1000}};
    s.reply(plan_for(hb, plan, nullptr));
    const auto left_out = agent->wait_for_line("left out");
    REQUIRE(left_out);
    CHECK_THAT(*left_out, Contains("interval: pinned"));
    CHECK_THAT(*left_out, Contains("collector gpu: unknown"));
    CHECK_THAT(*left_out, Contains("plugin redis: not installed"));
    beat_with_version(s, version_of(plan), hb);
    CHECK(hb.interval_ms == 200);
    // load is pinned on; disk runs every 500 ms of 200 ms beats, rounded: every 3rd beat.
    const auto applied = agent->lines();
    bool found = false;
    for (const std::string& line : applied) {
        if (line.find("plan applied") == std::string::npos) continue;
        found = true;
        CHECK(field(line, "collectors") == "cpu,mem,load,disk/3");
    }
    CHECK(found);
}

TEST_CASE("once prints what the plan a server sends would make of the node's settings",
          "[agent_plans]") {
    TempDir dir;
    const std::string config = write_file(dir, "client.toml", "accept_unsigned_plans = true\n");
    FakeServer s;
    auto once = start_agent({"once", "--print", "--server", s.endpoint(), "--host", "db-3",
                             "--disable", "cpu,net", "--config", config});
    HeartbeatView hb;
    s.receive_beat(hb);
    // As a server does: the plan first, then the acknowledgement.
    s.reply(plan_for(hb, db_plan(), nullptr));
    s.reply(control(ControlType::ack, hb, hb.sequence));
    REQUIRE(once->wait_exit(5s) == 0);
    const std::string out = once->stdout_text();
    CHECK_THAT(out, Contains("plan in force: none, local settings interval=5s"));
    CHECK_THAT(out, Contains("server " + s.endpoint() + " sends plan db version " +
                             format_plan_version(version_of(db_plan())) +
                             ": interval=100ms collectors=cpu,mem,disk/5 plugins=none"));
}
