// The monitor's side of collection plans (README "Plans"): which plan each host is sent, when,
// how often, and what is reported once its agent runs it.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "beat_server/core/ingest/monitor.hpp"
#include "common/auth_tag.hpp"
#include "common/control.hpp"
#include "tests/unit/server/ingest/source_addresses.hpp"

using namespace beat;
using beat::test::addr;

namespace {

constexpr std::int64_t kUnix = 1'700'000'000'000;  // Unix ms when the monitor's clock reads 0.

const char* const kPlans = R"(
[plans.db]
hosts = ["db-*"]
interval = "2s"
collectors = { cpu = "2s", disk = "30s" }

[plans.default]
interval = "5s"
)";

std::shared_ptr<const PlanBook> book(const std::string& text) {
    return std::make_shared<const PlanBook>(PlanBook::parse(text, "plans.toml"));
}

struct Out final : DatagramOut {
    std::vector<std::string> sent;
    void send(std::string_view bytes, const SourceAddress&) noexcept override {
        sent.emplace_back(bytes);
    }
    // The plans sent so far, decoded (views into `sent`).
    std::vector<ControlView> plans() const {
        std::vector<ControlView> out;
        for (const std::string& s : sent) {
            ControlView c;
            REQUIRE(decode_control(s, c) == DecodeError::ok);
            if (c.type == ControlType::plan) out.push_back(c);
        }
        return out;
    }
};

struct Events final : EventSink {
    std::vector<PlanApplied> applied;
    void on_event(const Event& e) override {
        if (const auto* a = std::get_if<PlanApplied>(&e)) applied.push_back(*a);
    }
};

struct Fixture {
    explicit Fixture(const MonitorConfig& c = {}) : config(c), mon(config, store, events, &out) {}

    // Beat `seq` of `host` (incarnation `inc`) saying its agent runs plan `running`, at monitor
    // time `now_ms`.
    void beat(const std::string& host, std::uint64_t seq, std::uint32_t running,
              std::int64_t now_ms, std::uint64_t inc = 1) {
        Heartbeat hb;
        hb.host = host;
        hb.incarnation = inc;
        hb.sequence = seq;
        hb.send_time_ms = kUnix + now_ms;
        hb.interval_ms = 1000;
        hb.plan_version = running;
        std::string d = pack_beat(hb, key != nullptr ? kAuthTagLength : 0).at(0);
        if (key != nullptr) sign_datagram(d, *key);
        mon.on_datagram(d, from, now_ms, kUnix + now_ms);
    }
    // The version of the plan called `name` in the plans in force.
    std::uint32_t version(const char* name) const { return mon.plans()->find(name)->version; }

    MonitorConfig config;
    Store store;
    Events events;
    Out out;
    Monitor mon;
    const Key* key = nullptr;  // Signs the beats when set.
    SourceAddress from = addr("10.0.0.9", 4100);
};

}  // namespace

TEST_CASE("a host whose agent runs no plan is sent its plan, signed with the host's key",
          "[monitor][plans]") {
    const KeyRing keys = KeyRing::parse("db-1 " + std::string(64, 'd') + "\n");
    MonitorConfig c;
    c.auth = AuthPolicy{AuthMode::required, &keys, 300'000};
    Fixture f(c);
    f.key = keys.key_for("db-1");
    f.mon.set_plans(book(kPlans));
    f.beat("db-1", 1, 0, 0);

    const auto plans = f.out.plans();
    REQUIRE(plans.size() == 1);
    const ControlView& p = plans[0];
    CHECK(p.host == "db-1");
    CHECK(p.incarnation == 1);
    CHECK(p.number == f.version("db"));
    CHECK(p.time_ms == kUnix);
    CHECK(p.payload == f.mon.plans()->find("db")->body);
    Plan sent;
    REQUIRE(decode_plan(p.payload, sent) == DecodeError::ok);
    CHECK(sent == f.mon.plans()->find("db")->plan);
    REQUIRE((p.flags & kFlagAuth) != 0);
    CHECK(verify_control(p, *f.key));
    CHECK(f.mon.stats().plans_sent == 1);

    const HostPlanView v = f.mon.plan_of(*f.mon.registry().find("db-1"));
    REQUIRE(v.plan != nullptr);
    CHECK(v.plan->plan.name == "db");
    CHECK(v.wanted == f.version("db"));
    CHECK(v.running == 0);
}

TEST_CASE("a host without a key is sent its plan unsigned, to where its beat came from",
          "[monitor][plans]") {
    Fixture f;
    f.mon.set_plans(book(kPlans));
    f.beat("web-1", 1, 0, 0);
    const auto plans = f.out.plans();
    REQUIRE(plans.size() == 1);
    CHECK(plans[0].number == f.version("default"));
    CHECK((plans[0].flags & kFlagAuth) == 0);
    CHECK(f.mon.registry().find("web-1")->address.to_string() == "10.0.0.9:4100");
}

TEST_CASE("a host whose agent runs its plan is sent none", "[monitor][plans]") {
    Fixture f;
    f.mon.set_plans(book(kPlans));
    for (std::uint64_t seq = 1; seq <= 10; ++seq)
        f.beat("db-1", seq, f.version("db"), static_cast<std::int64_t>(seq) * 1000);
    CHECK(f.out.plans().empty());
    CHECK(f.mon.stats().plans_sent == 0);
    CHECK(f.events.applied.empty());  // Nothing was sent, so nothing is reported applied.
}

TEST_CASE("a server without plans sends nothing to agents that run none", "[monitor][plans]") {
    Fixture f;
    for (std::uint64_t seq = 1; seq <= 5; ++seq)
        f.beat("db-1", seq, 0, static_cast<std::int64_t>(seq) * 1000);
    CHECK(f.out.plans().empty());
    const HostPlanView v = f.mon.plan_of(*f.mon.registry().find("db-1"));
    CHECK(v.plan == nullptr);
    CHECK(v.wanted == 0);
}

TEST_CASE("a plan is sent again on a later mismatching beat, at most 6 times a minute per host",
          "[monitor][plans]") {
    Fixture f;
    f.mon.set_plans(book(kPlans));
    // One beat a second for a minute from an agent that never applies its plan: the first 6 are
    // answered with the plan, the 54 after them are held.
    for (std::uint64_t seq = 1; seq <= 60; ++seq)
        f.beat("db-1", seq, 0, static_cast<std::int64_t>(seq - 1) * 1000);
    CHECK(f.out.plans().size() == 6);
    CHECK(f.mon.stats().plans_sent == 6);
    CHECK(f.mon.stats().plans_held == 54);
    // Another host has a budget of its own.
    f.beat("db-2", 1, 0, 59'500);
    CHECK(f.out.plans().size() == 7);
    // The window rolls: a minute after the first send, one more may go, then one a second for
    // the five after it, as the old sends leave the window.
    f.beat("db-1", 61, 0, 60'000);
    CHECK(f.out.plans().size() == 8);
    f.beat("db-1", 62, 0, 60'500);
    CHECK(f.out.plans().size() == 8);
    f.beat("db-1", 63, 0, 61'000);
    CHECK(f.out.plans().size() == 9);
    CHECK(f.mon.stats().plans_held == 55);
}

TEST_CASE("PlanApplied is reported once, when the agent runs the plan sent it",
          "[monitor][plans]") {
    Fixture f;
    f.mon.set_plans(book(kPlans));
    f.beat("db-1", 1, 0, 0);
    f.beat("db-1", 2, 0, 1000);  // The plan was lost: sent again.
    CHECK(f.out.plans().size() == 2);
    CHECK(f.events.applied.empty());
    f.beat("db-1", 3, f.version("db"), 2000);
    f.beat("db-1", 4, f.version("db"), 3000);
    f.beat("db-1", 5, f.version("db"), 4000);
    REQUIRE(f.events.applied.size() == 1);
    const PlanApplied& a = f.events.applied[0];
    CHECK(a.host.name == "db-1");
    CHECK(a.plan == "db");
    CHECK(a.version == f.version("db"));
    CHECK(a.at_ms == 2000);
    CHECK_FALSE(a.after_reload);
    CHECK(f.out.plans().size() == 2);
    // A restarted agent starts on its local settings: it is sent the plan, and reported again.
    f.beat("db-1", 1, 0, 5000, 2);
    f.beat("db-1", 2, f.version("db"), 6000, 2);
    CHECK(f.out.plans().size() == 3);
    CHECK(f.events.applied.size() == 2);
}

TEST_CASE("a late beat does not say which plan the agent runs", "[monitor][plans]") {
    Fixture f;
    f.mon.set_plans(book(kPlans));
    f.beat("db-1", 2, f.version("db"), 0);
    f.beat("db-1", 1, 0, 100);  // Sent before the one above, from before the plan.
    CHECK(f.out.plans().empty());
    CHECK(f.mon.registry().find("db-1")->plan.running == f.version("db"));
}

TEST_CASE("a host whose plan was removed is sent the local plan, and its return is reported",
          "[monitor][plans]") {
    Fixture f;
    f.mon.set_plans(book("[plans.db]\nhosts = [\"db-*\"]\ninterval = 2\n"));
    const std::uint32_t db = f.version("db");
    f.beat("db-1", 1, db, 0);
    f.beat("web-1", 1, 0, 0);  // No plan matches: nothing to send.
    CHECK(f.out.plans().empty());

    f.mon.set_plans(book("[plans.web]\nhosts = [\"web-*\"]\ninterval = 2\n"));
    CHECK(f.mon.plan_of(*f.mon.registry().find("db-1")).plan == nullptr);
    f.beat("db-1", 2, db, 1000);
    const auto plans = f.out.plans();
    REQUIRE(plans.size() == 1);
    Plan local;
    REQUIRE(decode_plan(plans[0].payload, local) == DecodeError::ok);
    CHECK(local == local_plan());
    CHECK(sets_nothing(local));
    CHECK(plans[0].number == plan_version(plans[0].payload));

    f.beat("db-1", 3, 0, 2000);
    REQUIRE(f.events.applied.size() == 1);
    CHECK(f.events.applied[0].plan == "local");
    CHECK(f.events.applied[0].version == 0);
    CHECK(f.events.applied[0].after_reload);
    f.beat("db-1", 4, 0, 3000);
    CHECK(f.out.plans().size() == 1);
    CHECK(f.events.applied.size() == 1);
}

TEST_CASE("a server without plans sends the local plan to an agent that runs one",
          "[monitor][plans]") {
    Fixture f;
    f.beat("db-1", 1, 0x1a2b3c4d, 0);
    const auto plans = f.out.plans();
    REQUIRE(plans.size() == 1);
    Plan local;
    REQUIRE(decode_plan(plans[0].payload, local) == DecodeError::ok);
    CHECK(local.name == "local");
    f.beat("db-1", 2, 0, 1000);
    REQUIRE(f.events.applied.size() == 1);
    CHECK(f.events.applied[0].version == 0);
    CHECK_FALSE(f.events.applied[0].after_reload);
}

TEST_CASE("a reload changes the plan a host is sent from its next beat", "[monitor][plans]") {
    Fixture f;
    f.mon.set_plans(book(kPlans));
    const std::uint32_t before = f.version("db");
    f.beat("db-1", 1, before, 0);
    f.beat("db-2", 1, before, 0);
    CHECK(f.out.plans().empty());

    f.mon.set_plans(book("[plans.db]\nhosts = [\"db-*\"]\ninterval = \"10s\"\n"));
    const std::uint32_t after = f.version("db");
    REQUIRE(after != before);
    // Read before the host is heard from again, its plan is already the new one.
    CHECK(f.mon.plan_of(*f.mon.registry().find("db-2")).wanted == after);
    CHECK(f.mon.plan_of(*f.mon.registry().find("db-2")).running == before);

    f.beat("db-1", 2, before, 1000);
    const auto plans = f.out.plans();
    REQUIRE(plans.size() == 1);
    CHECK(plans[0].number == after);
    Plan sent;
    REQUIRE(decode_plan(plans[0].payload, sent) == DecodeError::ok);
    CHECK(sent.interval_ms == 10'000);

    f.beat("db-1", 3, after, 2000);
    REQUIRE(f.events.applied.size() == 1);
    CHECK(f.events.applied[0].version == after);
    CHECK(f.events.applied[0].after_reload);
    // A host that comes in line without being sent a plan is not reported.
    f.beat("db-2", 2, after, 2000);
    CHECK(f.events.applied.size() == 1);
}

TEST_CASE("without a way to send, plans are matched and shown but never sent", "[monitor][plans]") {
    Store store;
    Events events;
    Monitor mon(MonitorConfig{}, store, events);
    mon.set_plans(book(kPlans));
    Heartbeat hb;
    hb.host = "db-1";
    hb.sequence = 1;
    hb.send_time_ms = kUnix;
    mon.on_datagram(pack_beat(hb).at(0), addr("10.0.0.1", 1), 0, kUnix);
    CHECK(mon.stats().plans_sent == 0);
    CHECK(mon.stats().plans_held == 0);
    CHECK(mon.plan_of(*mon.registry().find("db-1")).plan->plan.name == "db");
}

TEST_CASE("a host's plan is sent before the ack of the same beat", "[monitor][plans]") {
    Fixture f;
    f.mon.set_plans(book(kPlans));
    f.beat("web-1", 1, 0, 0);  // The first beat of a run is acknowledged at once.
    REQUIRE(f.out.sent.size() >= 2);
    ControlView first, second;
    REQUIRE(decode_control(f.out.sent[0], first) == DecodeError::ok);
    REQUIRE(decode_control(f.out.sent[1], second) == DecodeError::ok);
    CHECK(first.type == ControlType::plan);
    CHECK(second.type == ControlType::ack);
}
