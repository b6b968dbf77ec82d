// The monitor's side of the two-way channel: acknowledgements, probes and their answers.
#include <catch2/catch.hpp>

#include <string>
#include <variant>
#include <vector>

#include "beat_server/core/ingest/monitor.hpp"
#include "common/auth_tag.hpp"
#include "common/control.hpp"
#include "tests/unit/server/ingest/ingest_helpers.hpp"

using namespace beat;
using namespace beat::test;

namespace {

std::string beat_of(const std::string& host, std::uint64_t seq, std::uint64_t inc = 1,
                    const Key* key = nullptr, std::int64_t send_ms = 1'000'000) {
    Heartbeat hb;
    hb.host = host;
    hb.incarnation = inc;
    hb.sequence = seq;
    hb.send_time_ms = send_ms;
    hb.interval_ms = 1000;
    std::string d = pack_beat(hb, key ? kAuthTagLength : 0).at(0);
    if (key) sign_datagram(d, *key);
    return d;
}

MonitorConfig probing() {
    MonitorConfig c;
    c.detector.kind = DetectorKind::probe;
    return c;
}

struct Fixture : MonitorFixture {
    explicit Fixture(const MonitorConfig& c = probing()) : MonitorFixture(c) {}
    SourceAddress from = addr("10.0.0.1", 4000);

    std::string answer(const ControlView& probe, std::uint64_t inc = 1, const Key* key = nullptr) {
        std::string d;
        encode_control({ControlType::answer, "web1", inc, probe.number, 1'000'000, {}}, key, d);
        return d;
    }
};

}  // namespace

TEST_CASE("the server acknowledges the first beat of a run and every fourth after it",
          "[monitor][control]") {
    Fixture f;
    for (std::uint64_t seq = 1; seq <= 12; ++seq)
        f.mon.on_datagram(beat_of("web1", seq), f.from, static_cast<std::int64_t>(seq) * 1000);
    const auto acks = f.out.of(ControlType::ack);
    REQUIRE(acks.size() == 4);
    CHECK(acks[0].number == 1);
    CHECK(acks[1].number == 4);
    CHECK(acks[2].number == 8);
    CHECK(acks[3].number == 12);
    CHECK(acks[0].host == "web1");
    CHECK(acks[0].incarnation == 1);
    CHECK(f.out.sent[0].to == "10.0.0.1:4000");
    CHECK(f.mon.stats().acks == 4);
    // A duplicate is not acknowledged again, a new run is at once.
    f.mon.on_datagram(beat_of("web1", 12), f.from, 13'000);
    f.mon.on_datagram(beat_of("web1", 1, 2, nullptr, 2'000'000), f.from, 14'000);
    CHECK(f.out.of(ControlType::ack).size() == 5);
}

TEST_CASE("with keys, acknowledgements and probes are signed with the host's key",
          "[monitor][control]") {
    const KeyRing keys = KeyRing::parse(std::string(64, 'a'));
    MonitorConfig c = probing();
    c.auth = AuthPolicy{AuthMode::required, &keys, 300'000};
    Fixture f(c);
    f.mon.on_datagram(beat_of("web1", 1, 1, keys.shared()), f.from, 0, 1'000'000);
    REQUIRE(f.out.sent.size() == 2);  // the ack and the discovery probe
    for (const Sent& s : f.out.sent) {
        ControlView v;
        REQUIRE(decode_control(s.bytes, v) == DecodeError::ok);
        CHECK(verify_control(v, *keys.shared()));
    }
    const ControlView probe = f.out.of(ControlType::probe).at(0);
    // An unsigned answer is refused; a signed one is taken.
    f.mon.on_datagram(f.answer(probe), f.from, 5, 1'000'005);
    CHECK(f.mon.stats().answers_refused == 1);
    f.mon.on_datagram(f.answer(probe, 1, keys.shared()), f.from, 6, 1'000'006);
    CHECK(f.mon.stats().answers == 1);
    CHECK(f.mon.registry().find("web1")->liveness.judged == JudgedBy::probe);
}

TEST_CASE("an answer is taken only for the probe open now, from the agent run probed",
          "[monitor][control]") {
    Fixture f;
    f.mon.on_datagram(beat_of("web1", 1), f.from, 0);
    const ControlView probe = f.out.of(ControlType::probe).at(0);
    f.mon.on_datagram(f.answer(probe, 2), f.from, 1);  // another run
    CHECK(f.mon.stats().answers_refused == 1);
    ControlView forged = probe;
    forged.number += 1000;
    f.mon.on_datagram(f.answer(forged), f.from, 1);  // a nonce never sent
    CHECK(f.mon.stats().answers_stale == 1);
    f.mon.on_datagram(f.answer(probe), f.from, 2);
    CHECK(f.mon.stats().answers == 1);
    f.mon.on_datagram(f.answer(probe), f.from, 3);  // again
    CHECK(f.mon.stats().answers_stale == 2);
    // Garbage in the control format is counted like a bad beat.
    f.mon.on_datagram(std::string("BCTL\x09", 5), f.from, 4);
    CHECK(f.mon.stats().rejected_by[static_cast<std::size_t>(DecodeError::bad_version)] == 1);
}

TEST_CASE("a host that answers and then dies is probed and reported within two intervals",
          "[monitor][control]") {
    Fixture f;
    std::int64_t t = 0;
    for (std::uint64_t seq = 1; seq <= 20; ++seq, t += 1000) {
        f.mon.on_datagram(beat_of("web1", seq), f.from, t);
        f.mon.expire(t);
        if (seq == 1)
            f.mon.on_datagram(f.answer(f.out.of(ControlType::probe).at(0)), f.from, t + 1);
    }
    const std::int64_t last = t - 1000;
    const std::size_t before = f.out.of(ControlType::probe).size();
    std::int64_t silent_at = -1;
    for (t = last; t <= last + 3000 && silent_at < 0; ++t) {
        if (f.mon.next_deadline() && *f.mon.next_deadline() <= t) f.mon.expire(t);
        if (f.events.count<HostSilent>() > 0) silent_at = t;
    }
    REQUIRE(silent_at > 0);
    CHECK(silent_at - last <= 2250);  // about two intervals
    CHECK(f.out.of(ControlType::probe).size() > before + 2);
    // Probes carry distinct nonces.
    const auto probes = f.out.of(ControlType::probe);
    CHECK(probes.back().number != probes[probes.size() - 2].number);
}

TEST_CASE("after the server's loop stalled, nobody is declared silent until it has caught up",
          "[monitor][control]") {
    Fixture f;
    std::int64_t t = 0;
    for (std::uint64_t seq = 1; seq <= 10; ++seq, t += 1000) {
        f.mon.on_datagram(beat_of("web1", seq), f.from, t);
        if (seq == 1)
            f.mon.on_datagram(f.answer(f.out.of(ControlType::probe).at(0)), f.from, t + 1);
    }
    // The loop stalls from 9.0 s to 14.0 s; the beats of 10-14 s waited in the socket.
    f.mon.server_stalled(14'000, 5000);
    f.mon.expire(14'000);
    CHECK(f.events.count<HostSilent>() == 0);
    CHECK(f.events.count<ServerStalled>() == 1);
    for (std::uint64_t seq = 11; seq <= 15; ++seq)
        f.mon.on_datagram(beat_of("web1", seq), f.from, 14'000);
    f.mon.expire(14'001);
    CHECK(f.events.count<HostSilent>() == 0);
    CHECK(f.mon.stats().stalls == 1);
}

TEST_CASE("without a way back, nothing is sent and the probe detector judges by phi",
          "[monitor][control]") {
    Store store;
    Events events;
    const MonitorConfig c = probing();
    Monitor mon(c, store, events);
    mon.on_datagram(beat_of("web1", 1), addr("10.0.0.1", 1), 0);
    CHECK(mon.stats().acks == 0);
    CHECK(mon.stats().probes == 0);
    CHECK(mon.registry().find("web1")->liveness.judged == JudgedBy::phi);
}
