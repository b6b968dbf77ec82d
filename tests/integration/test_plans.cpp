// Collection plans on the server's side (README "Plans"): the real beat_server with a plans file,
// and a UDP socket in the test playing an agent that beats, reads the plans the server sends it
// and says which one it runs.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/auth_tag.hpp"
#include "common/control.hpp"
#include "common/key_ring.hpp"
#include "common/plan.hpp"
#include "tests/integration/harness.hpp"
#include "tests/plans_example.hpp"

using namespace beat;
using namespace beat::test;
using Catch::Matchers::Contains;

namespace {

const std::string kKeyHex = "5555555555555555555555555555555555555555555555555555555555555555";

std::int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// An agent of host `name` with the key of kKeyHex, beating from a socket of its own.
class FakeAgent {
  public:
    explicit FakeAgent(std::string name) : name_(std::move(name)) {}

    // Sends the next beat, signed, saying that the agent runs plan `running` (0: none).
    void beat(std::uint16_t server_port, std::uint32_t running) {
        Heartbeat hb;
        hb.host = name_;
        hb.incarnation = 7;
        hb.sequence = ++sequence_;
        hb.send_time_ms = unix_ms();
        hb.interval_ms = 1000;
        hb.plan_version = running;
        std::string d = pack_beat(hb, kAuthTagLength).at(0);
        sign_datagram(d, key_);
        socket_.send_to(server_port, d);
    }

    // The next plan the server sends within `timeout` (skipping acknowledgements and probes),
    // checked to be about this agent run and signed with its key; nullopt when none comes.
    std::optional<std::string> next_plan(std::chrono::milliseconds timeout = 5s) {
        const auto deadline = Clock::now() + timeout;
        while (Clock::now() < deadline) {
            const auto got = socket_.receive(100ms);
            if (!got) continue;
            ControlView c;
            REQUIRE(decode_control(got->first, c) == DecodeError::ok);
            if (c.type != ControlType::plan) continue;
            CHECK(c.host == name_);
            CHECK(c.incarnation == 7);
            REQUIRE((c.flags & kFlagAuth) != 0);
            CHECK(verify_control(c, key_));
            CHECK(c.number == plan_version(c.payload));
            return std::string(c.payload);
        }
        return std::nullopt;
    }

  private:
    std::string name_;
    Key key_ = *parse_key(kKeyHex);
    UdpSocket socket_;
    std::uint64_t sequence_ = 0;
};

// True when a line `process` wrote to stderr so far holds `text`.
bool logged(Process& process, const std::string& text) {
    for (const std::string& line : process.lines()) {
        if (line.find(text) != std::string::npos) return true;
    }
    return false;
}

Plan decoded(const std::string& body) {
    Plan p;
    REQUIRE(decode_plan(body, p) == DecodeError::ok);
    return p;
}

}  // namespace

TEST_CASE("plans: a bad plans file stops the server at start with exit 2 and its line", "[plans]") {
    TempDir dir;
    const std::string path =
        write_file(dir, "plans.toml", "[plans.db]\nhosts = [\"db-*\"]\n\ninterval = \"2 days\"\n");
    Process server({server_bin(), "--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--http", "off",
                    "--data-dir", "", "--plans", path});
    REQUIRE(server.wait_exit(10s) == 2);
    bool named = false;
    for (const std::string& line : server.lines())
        named = named ||
                line.find(path + ":4: plans.db.interval: expected seconds") != std::string::npos;
    CHECK(named);
}

TEST_CASE(
    "plans: an agent running no plan is sent its plan, signed, SIGHUP changes what is sent, and a "
    "bad file keeps the plans in force",
    "[plans]") {
    TempDir dir;
    const std::string keys = write_file(dir, "keys", "db-1 " + kKeyHex + "\n");
    const std::string plans = write_file(dir, "plans.toml", std::string(kExamplePlans));
    Server s = start_server({"--key-file", keys, "--plans", plans});
    // (Logged before the listening line start_server() waited for.)
    CHECK(logged(*s.proc, "plans loaded file=" + plans + " plans=2"));
    FakeAgent agent("db-1");

    // The first beat says the agent runs no plan: the server sends it db.
    agent.beat(s.udp_port, 0);
    const auto db = agent.next_plan();
    REQUIRE(db);
    Plan expected;
    expected.name = "db";
    expected.interval_ms = 2000;
    expected.collectors = std::vector<PlanItem>{{"cpu", 2000}, {"disk", 30'000}, {"mem", 2000}};
    expected.plugins = std::vector<PlanItem>{{"postgres", 30'000}};
    CHECK(decoded(*db) == expected);
    const std::uint32_t db_version = plan_version(*db);

    // Once the agent runs it, the server says so and sends it nothing more.
    agent.beat(s.udp_port, db_version);
    const auto applied = s.proc->wait_for_line("plan applied host=db-1");
    REQUIRE(applied);
    CHECK(field(*applied, "plan") == "db");
    CHECK(field(*applied, "version") == format_plan_version(db_version));
    agent.beat(s.udp_port, db_version);
    CHECK_FALSE(agent.next_plan(300ms));

    const auto page = http_get(s.http_port, "/plans");
    REQUIRE(page.status == 200);
    const auto j = nlohmann::json::parse(page.body);
    CHECK(j.at("file") == plans);
    REQUIRE(j.at("plans").size() == 2);
    CHECK(j.at("plans")[0].at("name") == "db");
    CHECK(j.at("plans")[0].at("version") == format_plan_version(db_version));
    CHECK(j.at("plans")[0].at("hosts_matched") == 1);
    CHECK(j.at("plans")[0].at("hosts_running") == 1);
    const auto host = nlohmann::json::parse(http_get(s.http_port, "/hosts/db-1").body);
    CHECK(host.at("plan") == "db");
    CHECK(host.at("plan_running") == format_plan_version(db_version));

    // A changed file, reread on SIGHUP: the next beat still running the old plan gets the new one.
    write_file(dir, "plans.toml", "[plans.db]\nhosts = [\"db-*\"]\ninterval = \"10s\"\n");
    s.proc->signal(SIGHUP);
    const auto reloaded = s.proc->wait_for_line("plans reloaded file=");
    REQUIRE(reloaded);
    CHECK(field(*reloaded, "changed") == "1");
    CHECK(field(*reloaded, "removed") == "1");
    agent.beat(s.udp_port, db_version);
    const auto slower = agent.next_plan();
    REQUIRE(slower);
    CHECK(decoded(*slower).interval_ms == 10'000);
    CHECK_FALSE(decoded(*slower).collectors);

    // A bad file on SIGHUP is logged with its line, and the plans in force stay.
    write_file(dir, "plans.toml", "[plans.db]\nhosts = [\"db-*\"]\nintreval = \"1s\"\n");
    s.proc->signal(SIGHUP);
    const auto kept = s.proc->wait_for_line("SIGHUP: keeping the plans in force");
    REQUIRE(kept);
    CHECK_THAT(*kept, Contains(plans + ":3: plans.db.intreval: unknown key"));
    agent.beat(s.udp_port, db_version);
    const auto again = agent.next_plan();
    REQUIRE(again);
    CHECK(*again == *slower);

    s.proc->signal(SIGTERM);
    const auto stopped = s.proc->wait_for_line("stopped");
    REQUIRE(stopped);
    CHECK(field(*stopped, "plans_sent") == "3");
    CHECK(s.proc->wait_exit() == 0);
}
