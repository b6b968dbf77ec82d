// PyHeartBeat datagrams ("PyHB") as beats: the host named by the source address, its interval
// the server's, through the same failure detector and events, never sent anything.
#include <catch2/catch.hpp>

#include <string>
#include <variant>
#include <vector>

#include "beat_server/core/ingest/monitor.hpp"
#include "beat_server/core/ingest/pyheartbeat.hpp"
#include "common/control.hpp"
#include "tests/unit/server/ingest/ingest_helpers.hpp"

using namespace beat;
using namespace beat::test;

namespace {

MonitorConfig with(DetectorKind kind) {
    MonitorConfig c;
    c.detector.kind = kind;
    c.legacy_interval_ms = 5000;
    return c;
}

struct Fixture : MonitorFixture {
    explicit Fixture(const MonitorConfig& c = with(DetectorKind::fixed)) : MonitorFixture(c) {}

    void pyhb(const SourceAddress& from, std::int64_t now_ms) {
        mon.on_datagram(kPyHeartBeat, from, now_ms, 1'700'000'000'000 + now_ms);
    }
    // Runs the detector at every millisecond from `from_ms` to `to_ms` it has something due.
    void run_until(std::int64_t from_ms, std::int64_t to_ms) {
        for (std::int64_t t = from_ms; t <= to_ms; ++t)
            if (mon.next_deadline() && *mon.next_deadline() <= t) mon.expire(t);
    }
};

}  // namespace

TEST_CASE("a PyHB datagram is a beat of the host named by its source address", "[pyheartbeat]") {
    Fixture f;
    f.pyhb(addr("10.0.0.7", 40001), 0);
    f.pyhb(addr("10.0.0.7", 40002), 5000);  // Each beat from a fresh socket, as its client sends.
    const HostRecord* h = f.mon.registry().find("10.0.0.7");
    REQUIRE(h != nullptr);
    CHECK(h->legacy);
    CHECK(h->beats == 2);
    CHECK(h->lost == 0);
    CHECK(h->interval_ms == 5000);
    CHECK(h->address.to_string() == "10.0.0.7:40002");
    CHECK(h->metrics.size() == 0);
    CHECK(h->liveness.state == HostState::up);
    const auto news = f.events.of<HostNew>();
    REQUIRE(news.size() == 1);
    CHECK(news[0].host.name == "10.0.0.7");
    CHECK(news[0].interval_ms == 5000);
    CHECK(news[0].incarnation == 0);
    CHECK(f.mon.stats().datagrams == 2);
    CHECK(f.mon.stats().accepted == 2);
    CHECK(f.mon.stats().pyheartbeats == 2);
    CHECK(f.store.key_count() == 0);
    CHECK(f.out.sent.empty());
}

TEST_CASE("a PyHeartBeat host that stops is reported silent once, and back when it beats again",
          "[pyheartbeat]") {
    Fixture f;  // The fixed detector: silent after 3 x 5 s.
    const SourceAddress from = addr("192.168.0.15", 43278);
    for (std::int64_t t = 0; t <= 20'000; t += 5000)
        f.pyhb(from, t);
    f.run_until(20'000, 34'999);
    CHECK(f.events.of<HostSilent>().empty());
    f.run_until(35'000, 60'000);
    const auto silent = f.events.of<HostSilent>();
    REQUIRE(silent.size() == 1);
    CHECK(silent[0].host.name == "192.168.0.15");
    CHECK(silent[0].at_ms == 35'000);
    CHECK(silent[0].silent_for_ms == 15'000);
    f.pyhb(from, 61'000);
    const auto back = f.events.of<HostBack>();
    REQUIRE(back.size() == 1);
    CHECK(back[0].away_for_ms == 41'000);
    CHECK_FALSE(back[0].numbered);  // Its loss is unknown, not 0.
    CHECK(f.mon.registry().find("192.168.0.15")->beats == 6);
}

TEST_CASE("the probe detector judges a PyHeartBeat host by phi and sends it nothing",
          "[pyheartbeat]") {
    Fixture f(with(DetectorKind::probe));
    const SourceAddress from = addr("10.0.0.7", 40000);
    std::int64_t t = 0;
    for (int i = 0; i < 30; ++i, t += 5000) {
        f.pyhb(from, t);
        f.run_until(t, t + 4999);
    }
    const HostRecord* h = f.mon.registry().find("10.0.0.7");
    REQUIRE(h != nullptr);
    CHECK(h->liveness.judged == JudgedBy::phi);
    CHECK(f.events.of<HostSilent>().empty());
    // It stops: phi reaches the threshold within a few intervals, with no probe sent.
    f.run_until(t, t + 60'000);
    REQUIRE(f.events.of<HostSilent>().size() == 1);
    CHECK(f.events.of<HostSilent>()[0].at_ms < t + 30'000);
    CHECK(f.out.sent.empty());
    CHECK(f.mon.stats().acks == 0);
    CHECK(f.mon.stats().probes == 0);
}

TEST_CASE("an agent's host that goes on with PyHB is no longer probed", "[pyheartbeat]") {
    Fixture f(with(DetectorKind::probe));
    const SourceAddress from = addr("10.0.0.1", 4000);
    // An agent named after its address, which answers the discovery probe: judged by probes.
    Heartbeat hb;
    hb.host = "10.0.0.1";
    hb.incarnation = 1;
    hb.sequence = 1;
    hb.send_time_ms = 1'700'000'000'000;
    hb.interval_ms = 5000;
    f.mon.on_datagram(pack_beat(hb).at(0), from, 0);
    ControlView probe;
    REQUIRE(f.out.sent.size() == 2);  // The acknowledgement and the discovery probe.
    REQUIRE(decode_control(f.out.sent[1].bytes, probe) == DecodeError::ok);
    std::string answer;
    encode_control({ControlType::answer, "10.0.0.1", 1, probe.number, 1'700'000'000'000, {}},
                   nullptr, answer);
    f.mon.on_datagram(answer, from, 1);
    CHECK(f.mon.registry().find("10.0.0.1")->liveness.judged == JudgedBy::probe);
    CHECK_FALSE(f.mon.registry().find("10.0.0.1")->legacy);

    // The same machine now runs a PyHeartBeat client instead.
    const std::size_t sent = f.out.sent.size();
    f.pyhb(from, 5000);
    CHECK(f.mon.registry().find("10.0.0.1")->legacy);
    CHECK(f.mon.registry().find("10.0.0.1")->liveness.judged == JudgedBy::phi);
    f.run_until(5000, 120'000);
    CHECK(f.events.of<HostSilent>().size() == 1);
    CHECK(f.out.sent.size() == sent);
}

TEST_CASE("a PyHB datagram cannot be signed: refused under required authentication only",
          "[pyheartbeat]") {
    const KeyRing keys = KeyRing::parse(std::string(64, 'a'));
    MonitorConfig c = with(DetectorKind::fixed);
    c.auth = AuthPolicy{AuthMode::required, &keys, 300'000};
    Fixture required(c);
    required.pyhb(addr("10.0.0.7", 1), 0);
    CHECK(required.mon.registry().size() == 0);
    CHECK(required.mon.stats().refused_by[static_cast<std::size_t>(Refusal::auth_missing)] == 1);
    CHECK(required.mon.stats().pyheartbeats == 0);
    const auto refused = required.events.of<DatagramRefused>();
    REQUIRE(refused.size() == 1);
    CHECK(refused[0].host == "10.0.0.7");
    CHECK(refused[0].reason == Refusal::auth_missing);

    c.auth.mode = AuthMode::optional;
    Fixture optional(c);
    optional.pyhb(addr("10.0.0.7", 1), 0);
    CHECK(optional.mon.registry().size() == 1);
}

TEST_CASE("a new PyHeartBeat host beyond max_hosts is refused", "[pyheartbeat]") {
    MonitorConfig c = with(DetectorKind::fixed);
    c.max_hosts = 1;
    Fixture f(c);
    f.pyhb(addr("10.0.0.1", 1), 0);
    f.pyhb(addr("10.0.0.2", 1), 0);
    f.pyhb(addr("10.0.0.1", 2), 5000);
    CHECK(f.mon.registry().size() == 1);
    CHECK(f.mon.registry().find("10.0.0.1")->beats == 2);
    CHECK(f.mon.stats().refused_by[static_cast<std::size_t>(Refusal::host_limit)] == 1);
}

TEST_CASE("only exactly the four bytes PyHB are a PyHeartBeat beat", "[pyheartbeat]") {
    Fixture f;
    for (const char* d : {"PyHB\n", "PyH", "PyHBPyHB", "pyhb", " PyHB"})
        f.mon.on_datagram(d, addr("10.0.0.7", 1), 0);
    f.mon.on_datagram(std::string_view("PyHB\0", 5), addr("10.0.0.7", 1), 0);
    CHECK(f.mon.registry().size() == 0);
    CHECK(f.mon.stats().rejected == 6);
    CHECK(is_pyheartbeat("PyHB"));
    CHECK_FALSE(is_pyheartbeat("PyHB "));
}

TEST_CASE("a PyHeartBeat host is named by its IP address, IPv4 given as IPv6 written as IPv4",
          "[pyheartbeat]") {
    CHECK(pyheartbeat_host(addr("10.0.0.7", 5)) == "10.0.0.7");
    CHECK(pyheartbeat_host(addr6("2001:db8::7", 5)) == "2001:db8::7");
    CHECK(pyheartbeat_host(addr6("::ffff:10.0.0.7", 5)) == "10.0.0.7");
    CHECK(pyheartbeat_host(addr6("::1", 5)) == "::1");

    Fixture f;
    f.pyhb(addr6("::ffff:10.0.0.7", 5), 0);
    f.pyhb(addr("10.0.0.7", 6), 5000);
    CHECK(f.mon.registry().size() == 1);
    CHECK(f.mon.registry().find("10.0.0.7")->beats == 2);
}

TEST_CASE("a PyHeartBeat host kept across a restart is still one", "[pyheartbeat]") {
    Fixture before;
    before.pyhb(addr("10.0.0.7", 1), 0);
    const HostSnapshot snap =
        Monitor::snapshot(*before.mon.registry().find("10.0.0.7"), 0, 1'700'000'000'000);
    Fixture after;
    after.mon.restore(snap, 0, 1'700'000'001'000);
    CHECK(after.mon.registry().find("10.0.0.7")->legacy);
    CHECK(after.mon.registry().find("10.0.0.7")->interval_ms == 5000);
}
