// Authenticated heartbeats end to end: real signed datagrams and the real beat_client against the
// real beat_server with a key file, one property per test (README, Security).
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "common/auth_tag.hpp"
#include "common/wire.hpp"
#include "tests/integration/harness.hpp"

using namespace beat;
using namespace beat::test;

namespace {

const std::string kShared = "1111111111111111111111111111111111111111111111111111111111111111";
const std::string kPalm = "2222222222222222222222222222222222222222222222222222222222222222";
const std::string kOak = "3333333333333333333333333333333333333333333333333333333333333333";

std::int64_t unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A fleet key file: a shared key, and own keys for palm and oak.
struct Keys {
    TempDir dir;
    std::string path =
        write_file(dir, "keys", kShared + "\npalm " + kPalm + "\noak " + kOak + "\n");
};

struct Beat {
    std::string host = "palm";
    std::uint64_t incarnation = 1;
    std::uint64_t sequence = 1;
    std::int64_t send_ms = unix_ms();
    double cpu = 1;
};

std::string signed_beat(const Beat& b, const std::string& key_hex) {
    Heartbeat hb;
    hb.host = b.host;
    hb.incarnation = b.incarnation;
    hb.sequence = b.sequence;
    hb.send_time_ms = b.send_ms;
    hb.interval_ms = 200;
    hb.metrics = {{"cpu", b.cpu}};
    std::string d = pack_beat(hb, kAuthTagLength).at(0);
    if (!key_hex.empty()) sign_datagram(d, *parse_key(key_hex));
    return d;
}

Server start_auth_server(const Keys& keys, std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--key-file", keys.path});
    return start_server(extra);
}

// Sends a beat from a new host ("marker-N", signed with the shared key) and waits for it to be
// reported: every datagram sent before it has then been handled, so a test can check what did
// (not) happen. (Refusals are logged once a minute per source, so they cannot serve.)
void drain(Server& s) {
    static int n = 0;
    const std::string host = "marker-" + std::to_string(++n);
    send_udp(s.udp_port, signed_beat(Beat{.host = host}, kShared));
    REQUIRE(s.proc->wait_for_line("host new host=" + host));
}

bool any_line(Server& s, std::string_view needle) {
    for (const std::string& l : s.proc->lines())
        if (l.find(needle) != std::string::npos) return true;
    return false;
}

// Stops the server with SIGTERM, requires a clean exit and returns its "stopped" totals line.
std::string stop_totals(Server& s) {
    s.proc->signal(SIGTERM);
    REQUIRE(s.proc->wait_exit() == 0);
    const auto stop = s.proc->wait_for_line("stopped ");
    REQUIRE(stop);
    return *stop;
}

std::string get(const Server& s, const std::string& key) {
    return tcp_request(s.tcp_port, "get " + key + "\n");
}

}  // namespace

TEST_CASE("auth: a beat signed with the host's key is accepted", "[auth]") {
    Keys keys;
    Server s = start_auth_server(keys);
    REQUIRE(
        s.proc->wait_for_line("heartbeat authentication: auth=required shared_key=yes "
                              "host_keys=2"));
    send_udp(s.udp_port, signed_beat(Beat{.cpu = 42}, kPalm));
    REQUIRE(s.proc->wait_for_line("host new host=palm"));
    CHECK(get(s, "palm.cpu").find("palm.cpu 42.0 ") != std::string::npos);
}

TEST_CASE("auth: a flipped bit, a wrong key and another host's key are refused", "[auth]") {
    Keys keys;
    Server s = start_auth_server(keys);
    std::string flipped = signed_beat(Beat{}, kPalm);
    flipped[flipped.size() - 20] ^= 0x04;  // Inside the value of "cpu".
    send_udp(s.udp_port, flipped);
    // The first refusal from an address is logged; later ones within the minute are counted.
    CHECK(s.proc->wait_for_line("refused datagram from=127.0.0.1:"));
    CHECK(any_line(s, "host=palm reason=auth_bad_tag suppressed_since_last=0"));
    send_udp(s.udp_port, signed_beat(Beat{.host = "oak"}, std::string(64, '9')));
    // palm signing as oak (with its own key, which it holds).
    send_udp(s.udp_port, signed_beat(Beat{.host = "oak"}, kPalm));
    // An unsigned beat: auth is required.
    send_udp(s.udp_port, signed_beat(Beat{.host = "elm"}, ""));
    drain(s);
    CHECK_FALSE(any_line(s, "host new host=palm"));
    CHECK_FALSE(any_line(s, "host new host=oak"));
    CHECK_FALSE(any_line(s, "host new host=elm"));
    const std::string all = get(s, "*");
    CHECK(all.find("palm.") == std::string::npos);
    CHECK(all.find("oak.") == std::string::npos);
    CHECK(all.find("elm.") == std::string::npos);
    const std::string stop = stop_totals(s);
    CHECK(field(stop, "accepted") == "1");  // The marker.
    CHECK(field(stop, "auth_bad_tag") == "3");
    CHECK(field(stop, "auth_missing") == "1");
}

TEST_CASE("auth: an exact replay of an accepted beat changes nothing", "[auth]") {
    Keys keys;
    Server s = start_auth_server(keys);
    const std::string captured = signed_beat(Beat{.cpu = 7}, kPalm);
    send_udp(s.udp_port, captured);
    REQUIRE(s.proc->wait_for_line("host new host=palm"));
    REQUIRE(s.proc->wait_for_line("host silent host=palm", 3s));
    // The host is dead; the attacker replays what it captured, again and again.
    for (int i = 0; i < 5; ++i)
        send_udp(s.udp_port, captured);
    drain(s);
    CHECK_FALSE(any_line(s, "host back host=palm"));
    const std::string stop = stop_totals(s);
    CHECK(field(stop, "accepted") == "2");  // The beat and the marker.
    CHECK(field(stop, "duplicates") == "5");
}

TEST_CASE("auth: a beat of an earlier agent run replayed after a restart is refused", "[auth]") {
    Keys keys;
    Server s = start_auth_server(keys);
    const std::int64_t t = unix_ms();
    const std::string first_run = signed_beat(Beat{.incarnation = 1, .send_ms = t - 2000}, kPalm);
    send_udp(s.udp_port, first_run);
    REQUIRE(s.proc->wait_for_line("host new host=palm"));
    send_udp(s.udp_port, signed_beat(Beat{.incarnation = 2, .send_ms = t}, kPalm));
    REQUIRE(s.proc->wait_for_line("host restarted host=palm"));
    send_udp(s.udp_port, first_run);
    CHECK(s.proc->wait_for_line("host=palm reason=replay"));
    // Even once the host has gone silent.
    REQUIRE(s.proc->wait_for_line("host silent host=palm", 3s));
    send_udp(s.udp_port, first_run);
    drain(s);
    CHECK_FALSE(any_line(s, "host back host=palm"));
}

TEST_CASE("auth: a capture older than --max-clock-skew is refused", "[auth]") {
    Keys keys;
    Server s = start_auth_server(keys, {"--max-clock-skew", "5"});
    send_udp(s.udp_port, signed_beat(Beat{.send_ms = unix_ms() - 6000}, kPalm));
    CHECK(s.proc->wait_for_line("host=palm reason=clock_skew"));
    send_udp(s.udp_port, signed_beat(Beat{.send_ms = unix_ms() - 4000}, kPalm));
    CHECK(s.proc->wait_for_line("host new host=palm"));
}

TEST_CASE("auth: beats reordered within the window are each accepted once", "[auth]") {
    Keys keys;
    Server s = start_auth_server(keys);
    const std::int64_t t = unix_ms() / 1000 * 1000 - 10'000;
    auto beat = [&](std::uint64_t seq) {
        return signed_beat(
            Beat{.sequence = seq, .send_ms = t + 1000 * std::int64_t(seq), .cpu = double(seq)},
            kPalm);
    };
    for (std::uint64_t seq : {1, 5, 3, 4, 2, 4, 3})
        send_udp(s.udp_port, beat(seq));
    drain(s);
    const std::string reply = get(s, "palm.cpu");
    for (int seq = 1; seq <= 5; ++seq) {
        INFO(reply);
        CHECK(reply.find("palm.cpu " + std::to_string(seq) + ".0 ") != std::string::npos);
    }
    const std::string stop = stop_totals(s);
    CHECK(field(stop, "accepted") == "6");  // Five beats and the marker.
    CHECK(field(stop, "duplicates") == "2");
}

TEST_CASE("auth: the real agent signs its beats, and its restart is accepted at once", "[auth]") {
    Keys keys;
    Server s = start_auth_server(keys);
    const std::string to = "127.0.0.1:" + std::to_string(s.udp_port);
    auto agent = [&] {
        return std::make_unique<Process>(
            std::vector<std::string>{client_bin(), "--server", to, "--host", "oak", "--interval",
                                     "0.2", "--key-file", keys.path, "--disable", "disk,net"});
    };
    auto first = agent();
    REQUIRE(s.proc->wait_for_line("host new host=oak"));
    first->signal(SIGKILL);
    first->wait_exit();
    auto second = agent();
    const auto restarted = s.proc->wait_for_line("host restarted host=oak", 3s);
    REQUIRE(restarted);
    CHECK_FALSE(any_line(s, "host silent host=oak"));
    CHECK_FALSE(any_line(s, "reason="));
}

TEST_CASE("auth: an unsigned agent is refused when auth is required, accepted when optional",
          "[auth]") {
    Keys keys;
    for (const char* mode : {"required", "optional"}) {
        Server s = start_auth_server(keys, {"--auth", mode});
        Process agent({client_bin(), "once", "--server", "127.0.0.1:" + std::to_string(s.udp_port),
                       "--host", "elm", "--disable", "cpu,net,disk"});
        REQUIRE(agent.wait_exit() == 0);
        if (std::string(mode) == "required") {
            CHECK(s.proc->wait_for_line("host=elm reason=auth_missing"));
        } else {
            CHECK(s.proc->wait_for_line("host new host=elm"));
        }
    }
}

TEST_CASE("auth: a key file readable by others stops server and agent with a clear message",
          "[auth]") {
    TempDir dir;
    const std::string path = write_file(dir, "keys", kShared + "\n", 0644);
    Process server({server_bin(), "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--tcp",
                    "127.0.0.1:0", "--data-dir", "", "--key-file", path});
    CHECK(server.wait_exit() == 2);
    CHECK(server.wait_for_line("has mode 0644: it must not be accessible to others"));
    Process agent({client_bin(), "once", "--dry-run", "--key-file", path});
    CHECK(agent.wait_exit() == 2);
    CHECK(agent.wait_for_line("has mode 0644"));
    // A key file without a key for the agent's host.
    const std::string only_oak = write_file(dir, "oak-only", "oak " + kOak + "\n");
    Process elm({client_bin(), "once", "--dry-run", "--host", "elm", "--key-file", only_oak});
    CHECK(elm.wait_exit() == 2);
    CHECK(elm.wait_for_line("holds no key for host elm and no shared key"));
}

TEST_CASE("auth: without a key file the server warns that beats are unauthenticated", "[auth]") {
    Server s = start_server();
    CHECK(s.proc->wait_for_line("heartbeats are not authenticated"));
}

TEST_CASE("keygen prints a fresh key the key file accepts", "[auth]") {
    Process a({client_bin(), "keygen"}), b({client_bin(), "keygen"});
    REQUIRE(a.wait_exit() == 0);
    REQUIRE(b.wait_exit() == 0);
    const std::string ka = a.stdout_text(), kb = b.stdout_text();
    REQUIRE(ka.size() == 65);
    CHECK(ka.back() == '\n');
    CHECK(parse_key(ka.substr(0, 64)));
    CHECK(ka != kb);
}

TEST_CASE("auth: SIGHUP reloads the key file, and a broken file keeps the keys in use", "[auth]") {
    TempDir dir;
    const std::string path = write_file(dir, "keys", "palm " + kPalm + "\n");
    Server s = start_server({"--key-file", path});
    send_udp(s.udp_port, signed_beat(Beat{.host = "oak"}, kOak));
    REQUIRE(s.proc->wait_for_line("host=oak reason=auth_no_key"));

    write_file(dir, "keys", "palm " + kPalm + "\noak " + kOak + "\n");
    s.proc->signal(SIGHUP);
    REQUIRE(s.proc->wait_for_line("SIGHUP: reloaded key file"));
    send_udp(s.udp_port, signed_beat(Beat{.host = "oak"}, kOak));
    REQUIRE(s.proc->wait_for_line("host new host=oak"));

    write_file(dir, "keys", "palm not-a-key\n");
    s.proc->signal(SIGHUP);
    REQUIRE(s.proc->wait_for_line("SIGHUP: keeping the keys in use"));
    send_udp(s.udp_port, signed_beat(Beat{.host = "palm"}, kPalm));
    CHECK(s.proc->wait_for_line("host new host=palm"));
}

TEST_CASE(
    "max-hosts: new hosts beyond the limit are refused and logged once, and known hosts are "
    "still served",
    "[limits]") {
    Server s = start_server({"--max-hosts", "3"});
    for (int h = 0; h < 3; ++h) {
        send_udp(s.udp_port, signed_beat(Beat{.host = "known-" + std::to_string(h)}, ""));
        REQUIRE(s.proc->wait_for_line("host new host=known-" + std::to_string(h)));
    }
    for (int h = 0; h < 50; ++h)
        send_udp(s.udp_port, signed_beat(Beat{.host = "invented-" + std::to_string(h)}, ""));
    REQUIRE(s.proc->wait_for_line("host=invented-0 reason=host_limit"));
    // A known host is still served after the flood.
    send_udp(s.udp_port, signed_beat(Beat{.host = "known-1", .sequence = 2, .cpu = 9}, ""));
    const auto deadline = Clock::now() + 5s;
    while (get(s, "known-1.cpu").find("known-1.cpu 9.0 ") == std::string::npos &&
           Clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
    CHECK(get(s, "known-1.cpu").find("known-1.cpu 9.0 ") != std::string::npos);
    const std::string stop = stop_totals(s);
    CHECK(field(stop, "hosts") == "3");
    CHECK(field(stop, "host_limit") == "50");
    int logged = 0;
    for (const std::string& l : s.proc->lines())
        logged += l.find("reason=host_limit") != std::string::npos;
    CHECK(logged == 1);  // Once a minute, not once per datagram.
}
