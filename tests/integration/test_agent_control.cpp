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
#include "tests/integration/harness.hpp"

using namespace beat;
using namespace beat::test;
using Catch::Matchers::Contains;

namespace {

const std::string kKeyHex = "4444444444444444444444444444444444444444444444444444444444444444";

// A UDP socket on 127.0.0.1 that plays a beat_server: it receives what agents send and sends
// control datagrams back to where they came from.
class FakeServer {
  public:
    FakeServer() {
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        port_ = local_port(fd_);
    }
    FakeServer(const FakeServer&) = delete;
    FakeServer& operator=(const FakeServer&) = delete;
    ~FakeServer() { ::close(fd_); }

    std::string endpoint() const { return loopback_endpoint(port_); }

    // The next datagram, or nullopt when none comes within `timeout`; remembers its sender.
    std::optional<std::string> receive(std::chrono::milliseconds timeout = 5s) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
        char buf[2048];
        socklen_t len = sizeof peer_;
        const ssize_t n =
            ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer_), &len);
        if (n < 0) return std::nullopt;
        return std::string(buf, static_cast<std::size_t>(n));
    }

    // The next beat (skipping answers), decoded into `hb`; fails the test when none comes.
    std::string receive_beat(HeartbeatView& hb) {
        const auto deadline = Clock::now() + 5s;
        while (Clock::now() < deadline) {
            auto d = receive(100ms);
            if (!d || is_control(*d)) continue;
            beat_ = std::move(*d);
            REQUIRE(decode_heartbeat(beat_, hb) == DecodeError::ok);
            return beat_;
        }
        FAIL("no beat arrived within 5 s");
        return {};
    }

    // The next answer (skipping beats), or nullopt when none comes within `timeout`.
    std::optional<std::string> receive_answer(std::chrono::milliseconds timeout = 5s) {
        const auto deadline = Clock::now() + timeout;
        while (Clock::now() < deadline) {
            auto d = receive(10ms);
            if (d && is_control(*d)) return d;
        }
        return std::nullopt;
    }

    // Sends `bytes` to whoever sent the last datagram received.
    void reply(std::string_view bytes) {
        REQUIRE(::sendto(fd_, bytes.data(), bytes.size(), 0,
                         reinterpret_cast<const sockaddr*>(&peer_),
                         sizeof peer_) == static_cast<ssize_t>(bytes.size()));
    }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
    sockaddr_in peer_{};
    std::string beat_;
};

std::int64_t unix_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string control(ControlType type, const HeartbeatView& hb, std::uint64_t number,
                    const Key* key = nullptr) {
    Control c;
    c.type = type;
    c.host = hb.host;
    c.incarnation = hb.incarnation;
    c.number = number;
    c.time_ms = unix_now_ms();
    std::string out;
    encode_control(c, key, out);
    return out;
}

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
