// The agent's side of the control channel (docs/datagram.md, "Control datagrams"): the real
// beat_client against a UDP socket in the test that plays the server, acknowledging its beats and
// probing it, and against a real beat_server.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "common/control.hpp"
#include "common/key_ring.hpp"
#include "common/wire.hpp"
#include "tests/integration/fake_server.hpp"
#include "tests/integration/harness.hpp"

using namespace beat;
using namespace beat::test;
using Catch::Matchers::Contains;

namespace {

const std::string kKeyHex = "4444444444444444444444444444444444444444444444444444444444444444";

// Checks that `answer` answers the probe `nonce` for the agent run of `hb` with its clock between
// `before` and now, signed under `key` when given, and is no larger than `probe_size`.
void check_answer(const std::string& answer, const HeartbeatView& hb, std::uint64_t nonce,
                  std::int64_t before, std::size_t probe_size, const Key* key = nullptr) {
    CHECK(answer.size() <= probe_size);
    ControlView v;
    REQUIRE(decode_control(answer, v) == DecodeError::ok);
    CHECK(v.type == ControlType::answer);
    CHECK(v.number == nonce);
    CHECK(v.time_ms >= before);
    CHECK(v.time_ms <= unix_now_ms());
    // Byte for byte what the codec makes of those fields.
    Control c;
    c.type = ControlType::answer;
    c.host = hb.host;
    c.incarnation = hb.incarnation;
    c.number = nonce;
    c.time_ms = v.time_ms;
    std::string expected;
    encode_control(c, key, expected);
    CHECK(answer == expected);
    if (key) CHECK(verify_control(v, *key));
}

std::string write_key_file(const TempDir& dir) {
    const std::string path = dir.path() + "/keys";
    std::ofstream(path) << kKeyHex << "\n";
    REQUIRE(::chmod(path.c_str(), 0600) == 0);
    return path;
}

// Waits until `p` has logged a line containing `needle` while `server` receives beats, acking
// each when `ack` is set. Returns the line, or nullopt after `timeout`.
std::optional<std::string> serve_until(Process& p, FakeServer& server, bool ack,
                                       std::string_view needle,
                                       std::chrono::milliseconds timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        if (auto line = p.wait_for_line(needle, 1ms)) return line;
        auto d = server.receive(10ms);
        if (!d || is_control(*d) || !ack) continue;
        HeartbeatView hb;
        if (decode_heartbeat(*d, hb) != DecodeError::ok) continue;
        server.reply(control(ControlType::ack, hb, hb.sequence));
    }
    return std::nullopt;
}

std::vector<std::string> once_args(const FakeServer& s, const std::string& host) {
    // Without the rate collectors `once` sends at once instead of measuring them for 0.5 s.
    return {"once", "--print", "--server", s.endpoint(), "--host", host, "--disable", "cpu,net"};
}

}  // namespace

TEST_CASE("once answers a probe with its nonce and prints the server's acknowledgement",
          "[agent_control]") {
    FakeServer s;
    auto agent = start_agent(once_args(s, "ctl-a"));
    HeartbeatView hb;
    s.receive_beat(hb);
    CHECK(hb.host == "ctl-a");
    CHECK(hb.sequence == 1);

    const std::int64_t before = unix_now_ms();
    const std::string probe = control(ControlType::probe, hb, 0x5eed5eed12345678ULL);
    s.reply(probe);
    const auto answer = s.receive_answer();
    REQUIRE(answer);
    check_answer(*answer, hb, 0x5eed5eed12345678ULL, before, probe.size());
    CHECK(answer->size() == probe.size());

    s.reply(control(ControlType::ack, hb, hb.sequence));
    REQUIRE(agent->wait_exit(5s) == 0);
    CHECK_THAT(agent->stdout_text(),
               Contains("server " + s.endpoint() + " acknowledged sequence 1 rtt="));
}

TEST_CASE("with a key file the agent answers only signed probes, and signs its answers",
          "[agent_control]") {
    TempDir dir;
    const Key key = *parse_key(kKeyHex);
    FakeServer s;
    std::vector<std::string> args = once_args(s, "ctl-b");
    args.insert(args.end(), {"--key-file", write_key_file(dir)});
    auto agent = start_agent(args);
    HeartbeatView hb;
    s.receive_beat(hb);
    CHECK((hb.flags & kFlagAuth) != 0);

    // An unsigned probe, one signed with another key, then a signed one: loopback keeps their
    // order, so the first answer that comes answers the last, the only one answered.
    const std::int64_t before = unix_now_ms();
    s.reply(control(ControlType::probe, hb, 1));
    const Key other = *parse_key(std::string(64, '5'));
    s.reply(control(ControlType::probe, hb, 2, &other));
    const std::string probe = control(ControlType::probe, hb, 3, &key);
    s.reply(probe);
    const auto answer = s.receive_answer();
    REQUIRE(answer);
    check_answer(*answer, hb, 3, before, probe.size(), &key);

    // An unsigned acknowledgement is ignored too; the signed one is printed.
    s.reply(control(ControlType::ack, hb, hb.sequence));
    s.reply(control(ControlType::ack, hb, hb.sequence, &key));
    REQUIRE(agent->wait_exit(5s) == 0);
    CHECK_THAT(agent->stdout_text(),
               Contains("server " + s.endpoint() + " acknowledged sequence 1 rtt="));
}

TEST_CASE("once says so when a server does not acknowledge within a second, and still succeeds",
          "[agent_control]") {
    FakeServer s;
    const auto start = Clock::now();
    auto agent = start_agent(once_args(s, "ctl-c"));
    REQUIRE(agent->wait_exit(5s) == 0);
    CHECK(Clock::now() - start >= 1s);
    CHECK_THAT(agent->stdout_text(),
               Contains("server " + s.endpoint() + " did not acknowledge within 1000ms"));
}

TEST_CASE(
    "an agent logs once when a server stops acknowledging and once when it acknowledges again",
    "[agent_control]") {
    FakeServer acking, silent;
    auto agent = start_agent({"--server", acking.endpoint(), "--server", silent.endpoint(),
                              "--interval", "0.02", "--host", "ctl-d"});
    // The server that never acknowledges is reported once, at info, after 20 beats.
    const auto never = serve_until(*agent, acking, true, "server never acknowledged");
    REQUIRE(never);
    CHECK_THAT(*never, Contains("INFO"));
    CHECK(field(*never, "server") == silent.endpoint());
    CHECK(field(*never, "unacked") == "20");

    // The other stops acknowledging: a warning after 20 beats, once.
    const auto lost = serve_until(*agent, acking, false, "server not acknowledging");
    REQUIRE(lost);
    CHECK_THAT(*lost, Contains("WARN"));
    CHECK(field(*lost, "server") == acking.endpoint());
    CHECK(field(*lost, "unacked") == "20");

    const auto again = serve_until(*agent, acking, true, "server acknowledging again");
    REQUIRE(again);
    CHECK(field(*again, "server") == acking.endpoint());

    agent->signal(SIGTERM);
    const auto stopped = agent->wait_for_line("stopped beats=");
    REQUIRE(stopped);
    CHECK(field(*stopped, "acks") != "0");
    CHECK(field(*stopped, "answers") == "0");
    CHECK(field(*stopped, "control_ignored") == "0");
    REQUIRE(agent->wait_exit(5s) == 0);
    const auto lines = agent->lines();
    for (const char* needle : {"server never acknowledged", "server not acknowledging"}) {
        INFO(needle);
        CHECK(std::count_if(lines.begin(), lines.end(), [&](const std::string& l) {
                  return l.find(needle) != std::string::npos;
              }) == 1);
    }
}

TEST_CASE("once --print reports the acknowledgement of a real server, signed under a key file",
          "[agent_control]") {
    TempDir dir;
    const std::string keys = write_key_file(dir);
    Server s = start_server({"--key-file", keys});
    auto agent = start_agent({"once", "--print", "--server", loopback_endpoint(s.udp_port),
                              "--host", "ctl-e", "--disable", "cpu,net", "--key-file", keys});
    REQUIRE(agent->wait_exit(5s) == 0);
    // The agent takes only signed acknowledgements under its key: this one was signed.
    CHECK_THAT(agent->stdout_text(),
               Contains("server " + loopback_endpoint(s.udp_port) + " acknowledged sequence 1"));
    REQUIRE(s.proc->wait_for_line("host new host=ctl-e"));
}
