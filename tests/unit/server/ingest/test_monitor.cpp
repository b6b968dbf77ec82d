#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "beat_server/core/ingest/monitor.hpp"
#include "common/auth_tag.hpp"
#include "tests/unit/server/ingest/ingest_helpers.hpp"

using namespace beat;
using beat::test::addr;

namespace {

MonitorConfig forgetting_after(std::int64_t ms) {
    MonitorConfig c;
    c.forget_after_ms = ms;
    return c;
}

MonitorConfig limited_to(std::size_t max_hosts) {
    MonitorConfig c;
    c.max_hosts = max_hosts;
    return c;
}

MonitorConfig metrics_per_host(std::size_t max_metrics) {
    MonitorConfig c;
    c.max_metrics_per_host = max_metrics;
    return c;
}

// One short line per event, for comparing sequences of them.
std::string describe(const HostNew& e) {
    return "new " + e.host.name;
}
std::string describe(const HostRestarted& e) {
    return "restarted " + e.host.name;
}
std::string describe(const HostSilent& e) {
    return "silent " + e.host.name + " " + std::to_string(e.silent_for_ms);
}
std::string describe(const HostBack& e) {
    return "back " + e.host.name + " away=" + std::to_string(e.away_for_ms) +
           " lost=" + std::to_string(e.lost) + (e.restarted ? " restarted" : "");
}
std::string describe(const HostFlapping& e) {
    return "flapping " + e.host.name;
}
std::string describe(const HostSettled& e) {
    return "settled " + e.host.name + " " + (e.state == HostState::up ? "up" : "silent");
}
std::string describe(const HostForgotten& e) {
    return "forgotten " + e.host.name;
}
std::string describe(const InvalidDatagram& e) {
    return "invalid " + std::string(to_string(e.error));
}
std::string describe(const DatagramRefused& e) {
    return "refused " + e.host + " " + std::string(to_string(e.reason));
}
std::string describe(const MetricsRefused& e) {
    return "metrics refused " + e.host.name + " " + std::to_string(e.refused) +
           " limit=" + std::to_string(e.limit);
}
std::string describe(const ServerStalled& e) {
    return "stalled " + std::to_string(e.stalled_ms);
}
std::string describe(const VerdictsHeld& e) {
    return "held " + std::to_string(e.suspected);
}
std::string describe(const ProbeBudgetSpent& e) {
    return "budget spent " + std::to_string(e.skipped);
}
std::string describe(const PlanApplied& e) {
    return "plan applied " + e.host.name + " " + e.plan;
}
std::string describe(const SilentSummary& e) {
    std::string s = "summary up=" + std::to_string(e.up);
    if (e.flapping) s += " flapping=" + std::to_string(e.flapping);
    for (const SilentHost& h : e.silent)
        s += " " + h.name;
    return s;
}

// Keeps every event as it was given, and its short line.
struct Recorder final : EventSink {
    std::vector<Event> kept;
    std::vector<std::string> events;
    void on_event(const Event& e) override {
        kept.push_back(e);
        events.push_back(std::visit([](const auto& x) { return describe(x); }, e));
    }
};

std::string datagram(const std::string& host, std::uint64_t seq, std::vector<Metric> m = {},
                     std::uint64_t inc = 1, std::int64_t send_ms = 1'000'000,
                     std::uint32_t interval = 1000) {
    Heartbeat hb;
    hb.host = host;
    hb.incarnation = inc;
    hb.sequence = seq;
    hb.send_time_ms = send_ms;
    hb.interval_ms = interval;
    hb.metrics = std::move(m);
    return pack_beat(hb).at(0);
}

// Beat 1 of host "big" (first incarnation, sent at 5 s, 1 s interval) with no metrics yet.
Heartbeat big_beat() {
    Heartbeat hb;
    hb.host = "big";
    hb.incarnation = 1;
    hb.sequence = 1;
    hb.send_time_ms = 5000;
    hb.interval_ms = 1000;
    return hb;
}

struct Fixture {
    explicit Fixture(const MonitorConfig& config = {}, const RetentionLimits& limits = {})
        : store(limits), mon(config, store, rec) {}
    Store store;
    Recorder rec;
    Monitor mon;
    SourceAddress from = addr("10.0.0.1", 4000);
};

}  // namespace

TEST_CASE("a first beat creates the host and stores its metrics under host.metric", "[monitor]") {
    Fixture f;
    f.mon.on_datagram(datagram("web1", 1, {{"cpu", 12.5}}), f.from, 100);
    CHECK(f.rec.events == std::vector<std::string>{"new web1"});
    const HostRecord* h = f.mon.registry().find("web1");
    REQUIRE(h);
    CHECK(h->beats == 1);
    CHECK(h->last_seen_ms == 100);
    CHECK(h->address.to_string() == "10.0.0.1:4000");
    CHECK(h->metrics.at(0).value == 12.5);
    const Series* s = f.store.find("web1.cpu");
    REQUIRE(s);
    CHECK(s->points().at(0).timestamp == 1000);  // The datagram's second.
}

TEST_CASE("a silent host is reported with how long it was silent, and back with its loss",
          "[monitor]") {
    Fixture f;
    f.mon.on_datagram(datagram("web1", 1), f.from, 0);
    CHECK(f.mon.next_deadline() == 3000);
    f.mon.expire(3000);
    f.mon.on_datagram(datagram("web1", 9), f.from, 8000);
    CHECK(f.rec.events ==
          std::vector<std::string>{"new web1", "silent web1 3000", "back web1 away=8000 lost=7"});
    CHECK(f.mon.registry().find("web1")->lost == 7);
}

TEST_CASE("a restart is reported and not counted as loss", "[monitor]") {
    Fixture f;
    f.mon.on_datagram(datagram("web1", 50, {}, 1), f.from, 0);
    f.mon.on_datagram(datagram("web1", 1, {}, 2, 1'001'000), f.from, 1000);
    CHECK(f.rec.events == std::vector<std::string>{"new web1", "restarted web1"});
    const HostRecord* h = f.mon.registry().find("web1");
    CHECK(h->lost == 0);
    CHECK(h->restarts == 1);
}

TEST_CASE("reordering does not count as loss and duplicates change nothing", "[monitor]") {
    Fixture f;
    f.mon.on_datagram(datagram("web1", 1, {{"cpu", 1}}), f.from, 0);
    f.mon.on_datagram(datagram("web1", 3, {{"cpu", 3}}, 1, 3000), f.from, 10);
    f.mon.on_datagram(datagram("web1", 2, {{"cpu", 2}}, 1, 2000), f.from, 20);
    f.mon.on_datagram(datagram("web1", 2, {{"cpu", 2}}, 1, 2000), f.from, 30);
    const HostRecord* h = f.mon.registry().find("web1");
    CHECK(h->lost == 0);
    CHECK(h->beats == 3);
    CHECK(h->duplicates == 1);
    CHECK(h->last_seen_ms == 20);
    // The latest value is the newest beat's, while the late one still lands in the series.
    CHECK(h->metrics.at(0).value == 3);
    CHECK(f.store.find("web1.cpu")->points().size() == 3);
    CHECK(f.mon.stats().late == 1);
    CHECK(f.mon.stats().duplicates == 1);
}

TEST_CASE("a late beat older than the first one heard takes back no loss of another gap",
          "[monitor]") {
    Fixture f;
    f.mon.on_datagram(datagram("web1", 10), f.from, 0);
    f.mon.on_datagram(datagram("web1", 12), f.from, 1000);  // 11 is lost.
    f.mon.on_datagram(datagram("web1", 5), f.from, 1100);   // Sent before 10, arriving late.
    const HostRecord* h = f.mon.registry().find("web1");
    CHECK(h->beats == 3);
    CHECK(h->lost == 1);
    CHECK(f.mon.stats().late == 1);
    // 11 arriving at last takes its own loss back.
    f.mon.on_datagram(datagram("web1", 11), f.from, 1200);
    CHECK(h->lost == 0);
}

TEST_CASE("a sequence that jumps by 2^63 or more counts its gap as lost, not as a late beat",
          "[monitor]") {
    Fixture f;
    const std::uint64_t half = std::uint64_t{1} << 63;
    f.mon.on_datagram(datagram("web1", 1), f.from, 0);
    f.mon.on_datagram(datagram("web1", 5), f.from, 1000);  // 3 lost.
    f.mon.on_datagram(datagram("web1", 5 + half + 1), f.from, 2000);
    const HostRecord* h = f.mon.registry().find("web1");
    CHECK(h->beats == 3);
    CHECK(h->lost == 3 + half);
    CHECK(h->sequence.highest() == 5 + half + 1);
    CHECK(f.mon.stats().late == 0);
}

TEST_CASE("lost stops at its largest value instead of wrapping round to a small one", "[monitor]") {
    Fixture f;
    // Three runs that each skip 2^63 - 1 beats at once, as only a broken or forged sequence can.
    const std::uint64_t half = std::uint64_t{1} << 63;
    for (std::uint64_t run = 1; run <= 3; ++run) {
        const std::int64_t at = static_cast<std::int64_t>(run) * 10'000;
        f.mon.on_datagram(datagram("web1", 0, {}, run, 1'000'000 + at), f.from, at);
        f.mon.on_datagram(datagram("web1", half, {}, run, 1'001'000 + at), f.from, at + 1000);
    }
    const HostRecord* h = f.mon.registry().find("web1");
    CHECK(h->restarts == 2);
    CHECK(h->lost == std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("the parts of a split beat count as one beat and all their metrics are kept",
          "[monitor]") {
    Fixture f;
    Heartbeat hb = big_beat();
    for (int i = 0; i < 250; ++i)  // Within the default 256 names a host may have.
        hb.metrics.push_back({"metric.number." + std::to_string(i), double(i)});
    auto parts = pack_beat(hb);
    REQUIRE(parts.size() > 2);
    // Parts arriving in reverse order, one twice.
    for (auto it = parts.rbegin(); it != parts.rend(); ++it)
        f.mon.on_datagram(*it, f.from, 0);
    f.mon.on_datagram(parts[0], f.from, 0);
    const HostRecord* h = f.mon.registry().find("big");
    CHECK(h->beats == 1);
    CHECK(h->metrics.size() == 250);
    CHECK(h->duplicates == 1);
    CHECK(f.store.key_count() == 250);
}

TEST_CASE(
    "every part of a beat split in up to 255 is recognised when it comes again, and a "
    "repeated part is no sign of life",
    "[monitor]") {
    Fixture f;
    Heartbeat hb = big_beat();
    const auto part = [&](std::uint8_t p) {
        const std::vector<Metric> m{{"part." + std::to_string(p), double(p)}};
        return encode_datagram(hb, m, p, 255);
    };
    for (const std::uint8_t p : {0, 63, 64, 100, 200, 254})
        f.mon.on_datagram(part(p), f.from, 0);
    const HostRecord* h = f.mon.registry().find("big");
    REQUIRE(h != nullptr);
    CHECK(h->beats == 1);
    CHECK(h->duplicates == 0);
    CHECK(f.mon.stats().accepted == 6);

    for (const std::uint8_t p : {63, 64, 100, 200, 254})
        f.mon.on_datagram(part(p), f.from, 100);
    CHECK(h->duplicates == 5);
    CHECK(f.mon.stats().accepted == 6);
    CHECK(h->last_seen_ms == 0);

    // Silent after 3 intervals; a captured part sent again does not bring it back.
    f.mon.expire(3000);
    REQUIRE(h->liveness.state == HostState::silent);
    f.mon.on_datagram(part(200), f.from, 4000);
    CHECK(h->liveness.state == HostState::silent);
    CHECK(h->duplicates == 6);
    CHECK(f.rec.events.back().starts_with("silent big"));
}

TEST_CASE("an invalid datagram changes nothing but the counters", "[monitor]") {
    Fixture f;
    std::string d = datagram("web1", 1);
    d[0] = 'X';
    f.mon.on_datagram(d, f.from, 0);
    f.mon.on_datagram("", f.from, 0);
    CHECK(f.rec.events == std::vector<std::string>{"invalid bad_magic", "invalid truncated"});
    CHECK(f.mon.registry().size() == 0);
    CHECK(f.mon.stats().rejected == 2);
    CHECK(f.mon.stats().rejected_by[static_cast<std::size_t>(DecodeError::bad_magic)] == 1);
}

TEST_CASE("the report lists silent hosts longest-silent first and forgets old ones", "[monitor]") {
    Store store;
    Recorder rec;
    Monitor mon(forgetting_after(60'000), store, rec);
    const SourceAddress from = addr("10.0.0.1", 1);
    mon.on_datagram(datagram("old", 1), from, 0);
    mon.on_datagram(datagram("newer", 1), from, 10'000);
    mon.on_datagram(datagram("alive", 1, {}, 1, 0, 100'000), from, 10'000);
    mon.expire(20'000);
    mon.report(20'000);
    CHECK(rec.events.back() == "summary up=1 old newer");
    mon.report(65'000);
    CHECK(rec.events[rec.events.size() - 2] == "forgotten old");
    CHECK(rec.events.back() == "summary up=1 newer");
    CHECK(mon.registry().size() == 2);
}

TEST_CASE("the address follows the host when it moves", "[monitor]") {
    Fixture f;
    f.mon.on_datagram(datagram("nat", 1), addr("10.0.0.1", 1), 0);
    f.mon.on_datagram(datagram("nat", 2), addr("10.0.0.2", 2), 10);
    CHECK(f.mon.registry().find("nat")->address.to_string() == "10.0.0.2:2");
    CHECK(f.mon.registry().size() == 1);
}

TEST_CASE("a restored host gets one full timeout of grace, then is reported silent", "[monitor]") {
    Fixture f;
    f.mon.on_datagram(datagram("web1", 5, {}, 9), f.from, 1'000);
    // The server stops at monotonic 2'000 (Unix 50'000) and starts again 60 s later.
    const HostSnapshot snap = Monitor::snapshot(*f.mon.registry().find("web1"), 2'000, 50'000);
    CHECK(snap.last_seen_unix_ms == 49'000);

    Store store;
    Recorder rec;
    Monitor mon{MonitorConfig{}, store, rec};
    mon.restore(snap, 500, 110'000);
    const HostRecord* h = mon.registry().find("web1");
    REQUIRE(h);
    CHECK(h->address.to_string() == "10.0.0.1:4000");
    CHECK(h->last_seen_ms == 500 - 61'000);
    CHECK(mon.next_deadline() == 3'500);  // The whole 3 s timeout from the restart.
    mon.expire(3'499);
    CHECK(rec.events.empty());
    mon.expire(3'500);
    CHECK(rec.events == std::vector<std::string>{"silent web1 64000"});
}

TEST_CASE("a restored host that keeps beating is neither new, back nor lossy", "[monitor]") {
    Fixture f;
    f.mon.on_datagram(datagram("web1", 5, {}, 9), f.from, 1'000);
    const HostSnapshot snap = Monitor::snapshot(*f.mon.registry().find("web1"), 1'000, 10'000);
    Store store;
    Recorder rec;
    Monitor mon{MonitorConfig{}, store, rec};
    mon.restore(snap, 0, 10'500);
    mon.on_datagram(datagram("web1", 5, {}, 9), f.from, 100);  // Already seen before the restart.
    mon.on_datagram(datagram("web1", 6, {}, 9), f.from, 200);
    CHECK(rec.events.empty());
    CHECK(mon.registry().find("web1")->lost == 0);
    CHECK(mon.registry().find("web1")->beats == 2);
    CHECK(mon.stats().duplicates == 1);
}

TEST_CASE("a host keeps its new, silent and back transitions with their times", "[monitor]") {
    Fixture f;
    f.mon.on_datagram(datagram("web1", 1), f.from, 1'000);
    f.mon.expire(4'000);  // The 3 s timeout.
    f.mon.on_datagram(datagram("web1", 2), f.from, 9'000);
    const TransitionRing& ring = f.mon.registry().find("web1")->transitions;
    REQUIRE(ring.size() == 3);
    CHECK(ring[0] == Transition{1'000, 1'000, TransitionKind::new_host});
    CHECK(ring[1] == Transition{4'000, 1'000, TransitionKind::silent});
    CHECK(ring[2] == Transition{9'000, 9'000, TransitionKind::back});
}

TEST_CASE("a host's transitions survive a restart in Unix time", "[monitor]") {
    Fixture f;
    f.mon.on_datagram(datagram("web1", 1), f.from, 1'000);
    f.mon.expire(4'000);
    // Monotonic 5'000 is Unix 50'000; the next server's monotonic 100 is Unix 60'000.
    const HostSnapshot snap = Monitor::snapshot(*f.mon.registry().find("web1"), 5'000, 50'000);
    REQUIRE(snap.transitions.size() == 2);
    CHECK(snap.transitions[1] == Transition{49'000, 46'000, TransitionKind::silent});

    Store store;
    Recorder rec;
    Monitor mon{MonitorConfig{}, store, rec};
    mon.restore(snap, 100, 60'000);
    const TransitionRing& ring = mon.registry().find("web1")->transitions;
    REQUIRE(ring.size() == 2);
    CHECK(ring[0] == Transition{100 - 14'000, 100 - 14'000, TransitionKind::new_host});
    CHECK(ring[1] == Transition{100 - 11'000, 100 - 14'000, TransitionKind::silent});
}

TEST_CASE("metrics of a new key beyond max-keys are counted, not stored", "[monitor]") {
    Store store(RetentionLimits{0, 0, 1});
    Recorder rec;
    Monitor mon{MonitorConfig{}, store, rec};
    mon.on_datagram(datagram("web1", 1, {{"cpu", 1}, {"mem", 2}}), addr("10.0.0.1", 1), 0);
    mon.on_datagram(datagram("web1", 2, {{"cpu", 1}, {"mem", 3}}), addr("10.0.0.1", 1), 1000);
    CHECK(store.key_count() == 1);
    CHECK(mon.stats().metrics == 2);
    CHECK(mon.stats().metrics_refused == 2);
    CHECK(mon.registry().find("web1")->metrics.at(1).value == 3);
}

TEST_CASE("a host's series stay while it is known and go with it once forgotten", "[monitor]") {
    Store store(RetentionLimits{10, 0, 0});
    Recorder rec;
    Monitor mon(forgetting_after(60'000), store, rec);
    mon.track_forgotten(true);
    mon.on_datagram(datagram("web1", 1, {{"cpu", 1}}, 1, 1'000'000), addr("10.0.0.1", 1), 0);
    store.sweep(5'000, 100);  // Every point is too old, but the host still pins its series.
    CHECK(store.find("web1.cpu") != nullptr);
    mon.expire(3'000);
    mon.report(70'000);
    CHECK(mon.take_forgotten() == std::vector<std::string>{"web1"});
    store.sweep(5'000, 100);
    CHECK(store.find("web1.cpu") == nullptr);
}

TEST_CASE("an earlier incarnation sent again after a restart is refused as a replay", "[monitor]") {
    Fixture f;
    const std::string old_run = datagram("web1", 7, {{"cpu", 1}}, 1, 1'000'000);
    f.mon.on_datagram(old_run, f.from, 0);
    f.mon.on_datagram(datagram("web1", 1, {{"cpu", 2}}, 2, 1'010'000), f.from, 1000);
    f.mon.on_datagram(old_run, f.from, 2000);
    // A straggler of the old run, sent before the restart but arriving after it.
    f.mon.on_datagram(datagram("web1", 8, {{"cpu", 3}}, 1, 1'009'000), f.from, 2100);
    CHECK(f.rec.events == std::vector<std::string>{"new web1", "restarted web1",
                                                   "refused web1 replay", "refused web1 replay"});
    const HostRecord* h = f.mon.registry().find("web1");
    CHECK(h->sequence.incarnation() == 2);
    CHECK(h->last_seen_ms == 1000);
    CHECK(h->metrics.at(0).value == 2);
    CHECK(f.mon.stats().refused_by[static_cast<std::size_t>(Refusal::replay)] == 2);
    // The new run goes on as if nothing happened.
    f.mon.on_datagram(datagram("web1", 2, {}, 2, 1'011'000), f.from, 2200);
    CHECK(h->beats == 3);
    CHECK(h->lost == 0);
}

TEST_CASE("an unauthenticated new run of a silent host is accepted even if its clock went back",
          "[monitor]") {
    Fixture f;
    f.mon.on_datagram(datagram("web1", 7, {}, 1, 1'000'000), f.from, 0);
    // Up: a new incarnation claiming an earlier start is refused.
    f.mon.on_datagram(datagram("web1", 1, {}, 2, 900'000), f.from, 1000);
    CHECK(f.rec.events.back() == "refused web1 replay");
    f.mon.expire(3000);
    REQUIRE(f.rec.events.back() == "silent web1 3000");
    // Silent: the same beat brings it back.
    f.mon.on_datagram(datagram("web1", 2, {}, 2, 900'000), f.from, 4000);
    CHECK(f.rec.events.back() == "back web1 away=4000 lost=0 restarted");
}

TEST_CASE("beats from new hosts beyond max_hosts are refused, and known hosts are still served",
          "[monitor]") {
    Store store;
    Recorder rec;
    Monitor mon(limited_to(2), store, rec);
    const SourceAddress from = addr("10.0.0.1", 1);
    mon.on_datagram(datagram("a", 1), from, 0);
    mon.on_datagram(datagram("b", 1), from, 0);
    mon.on_datagram(datagram("c", 1, {{"cpu", 1}}), from, 0);
    mon.on_datagram(datagram("a", 2), from, 500);
    CHECK(rec.events == std::vector<std::string>{"new a", "new b", "refused c host_limit"});
    CHECK(mon.registry().size() == 2);
    CHECK(mon.registry().find("a")->beats == 2);
    CHECK(store.find("c.cpu") == nullptr);
    CHECK(mon.stats().refused == 1);
    CHECK(mon.stats().accepted == 3);
}

TEST_CASE(
    "with authentication, refused datagrams change nothing and an old run stays out even "
    "when the host is silent",
    "[monitor][auth]") {
    const std::string hex(64, 'a');
    const KeyRing keys = KeyRing::parse(hex);
    const Key key = *parse_key(hex);
    Store store;
    Recorder rec;
    MonitorConfig cfg;
    cfg.auth = AuthPolicy{AuthMode::required, &keys, 300'000};
    Monitor mon(cfg, store, rec);
    const SourceAddress from = addr("10.0.0.1", 1);
    const std::int64_t t0 = 1'700'000'000'000;  // Unix ms; the monotonic clock starts at 0.
    auto beat = [&](std::uint64_t seq, std::uint64_t inc, std::int64_t send, bool sign = true) {
        std::string d = datagram("web1", seq, {{"cpu", double(seq)}}, inc, send);
        if (sign) sign_datagram(d, key);
        return d;
    };
    auto at = [&](const std::string& d, std::int64_t mono) {
        mon.on_datagram(d, from, mono, t0 + mono);
    };

    const std::string first_run = beat(1, 1, t0);
    at(first_run, 0);
    at(beat(1, 2, t0 + 1000), 1000);         // The agent restarted.
    at(beat(2, 2, t0 + 2000, false), 2000);  // Untagged.
    std::string flipped = beat(2, 2, t0 + 2000);
    flipped[flipped.size() - 1] ^= 1;
    at(flipped, 2000);
    mon.expire(10'000);     // Silent: 3 x 1 s after the last accepted beat.
    at(first_run, 10'500);  // A capture of the first run, 10.5 s old.
    CHECK(rec.events == std::vector<std::string>{"new web1", "restarted web1",
                                                 "refused web1 auth_missing",
                                                 "refused web1 auth_bad_tag", "silent web1 9000",
                                                 "refused web1 replay"});
    const HostRecord* h = mon.registry().find("web1");
    CHECK(h->beats == 2);
    CHECK(h->metrics.at(0).value == 1);
    CHECK(mon.stats().refused == 3);
    // The current run comes back at once.
    at(beat(3, 2, t0 + 11'000), 11'000);
    CHECK(rec.events.back() == "back web1 away=10000 lost=1");
}

TEST_CASE("a host that keeps going silent is reported flapping once, then settled once",
          "[monitor][flap]") {
    Fixture f;
    // Silent 3 s after each beat, back a second later, five times over.
    std::uint64_t seq = 1;
    std::int64_t t = 0;
    for (int i = 0; i < 5; ++i) {
        f.mon.on_datagram(datagram("web1", seq++), f.from, t);
        f.mon.expire(t + 3000);
        t += 4000;
    }
    // The summary counts it while it flaps (silent now: its fifth silence).
    f.mon.report(t - 1);
    CHECK(f.rec.events.back() == "summary up=0 flapping=1 web1");
    f.rec.events.pop_back();
    // Then steady; 10 timeouts (30 s) later it is settled up.
    for (int i = 0; i < 40; ++i) {
        f.mon.on_datagram(datagram("web1", seq++), f.from, t);
        f.mon.expire(t);
        t += 1000;
    }
    CHECK(f.rec.events == std::vector<std::string>{"new web1", "silent web1 3000",
                                                   "back web1 away=4000 lost=0", "silent web1 3000",
                                                   "back web1 away=4000 lost=0", "flapping web1",
                                                   "settled web1 up"});
    f.mon.report(t);
    CHECK(f.rec.events.back() == "summary up=1");
}

TEST_CASE("with the phi detector a host known to be on a clean link is silent in 3 intervals",
          "[monitor][phi]") {
    Fixture f;  // The default detector settings.
    MonitorConfig c;
    c.detector.kind = DetectorKind::phi;
    Monitor mon(c, f.store, f.rec);
    // 5,000 beats exactly 1 s apart: the loss prior has faded and the deviation is its floor.
    constexpr std::int64_t last = 5000 * 1000;
    for (std::uint64_t seq = 1; seq <= 5000; ++seq)
        mon.on_datagram(datagram("web1", seq), f.from, static_cast<std::int64_t>(seq) * 1000);
    // Pause 1.5 s + 1 s + 4.27 x the 100 ms floor (phi 5 beyond a stall's 3).
    REQUIRE(mon.next_deadline());
    const std::int64_t timeout = *mon.next_deadline() - last;
    CHECK(timeout >= 2920);
    CHECK(timeout <= 2960);
    mon.expire(last + timeout - 1);
    CHECK(f.rec.events.back() == "new web1");
    mon.expire(last + timeout);
    CHECK(f.rec.events.back() == fmt::format("silent web1 {}", timeout));
}

TEST_CASE("an event a sink keeps is unchanged by later beats of its host and by its forgetting",
          "[monitor][events]") {
    Store store;
    Recorder rec;
    Monitor mon(forgetting_after(60'000), store, rec);
    mon.on_datagram(datagram("web1", 1), addr("10.0.0.1", 4000), 0);
    mon.expire(3000);
    // Then it comes back from another address with a 2 s interval, goes silent again and is
    // forgotten, its record dropped.
    mon.on_datagram(datagram("web1", 9, {}, 1, 1'008'000, 2000), addr("10.0.0.2", 5000), 8000);
    mon.on_datagram(datagram("web1", 10, {}, 1, 1'010'000, 2000), addr("10.0.0.2", 5000), 10'000);
    mon.expire(16'000);
    mon.report(80'000);
    REQUIRE(rec.events == std::vector<std::string>{"new web1", "silent web1 3000",
                                                   "back web1 away=8000 lost=7", "silent web1 6000",
                                                   "forgotten web1", "summary up=0"});
    REQUIRE(mon.registry().find("web1") == nullptr);

    const auto& silent = std::get<HostSilent>(rec.kept[1]);
    CHECK(silent.host.name == "web1");
    CHECK(silent.host.address.to_string() == "10.0.0.1:4000");
    CHECK(silent.at_ms == 3000);
    CHECK(silent.silent_for_ms == 3000);
    CHECK(silent.last_seq == 1);
    CHECK(silent.timeout_ms == 3000);
    CHECK_FALSE(silent.detector.phi);  // The fixed detector has no phi.
    CHECK(silent.detector.expected_ms == 1000);

    const auto& back = std::get<HostBack>(rec.kept[2]);
    CHECK(back.host.address.to_string() == "10.0.0.2:5000");
    CHECK(back.at_ms == 8000);
    CHECK(back.away_for_ms == 8000);
    CHECK(back.lost == 7);
    CHECK_FALSE(back.restarted);
    CHECK(back.detector.expected_ms == 10'000);  // Its beat at 8 s and its new 2 s interval.

    const auto& forgotten = std::get<HostForgotten>(rec.kept[4]);
    CHECK(forgotten.host.name == "web1");
    CHECK(forgotten.silent_for_ms == 70'000);
}

TEST_CASE("each event carries what the detector read of its host at that moment",
          "[monitor][events][phi]") {
    Store store;
    Recorder rec;
    MonitorConfig c;
    c.detector.kind = DetectorKind::phi;
    Monitor mon(c, store, rec);
    const SourceAddress from = addr("10.0.0.1", 4000);
    for (std::uint64_t seq = 1; seq <= 100; ++seq)
        mon.on_datagram(datagram("web1", seq), from, static_cast<std::int64_t>(seq) * 1000);
    REQUIRE(mon.next_deadline());
    const std::int64_t silent_at = *mon.next_deadline();
    mon.expire(silent_at);
    const DetectorReading then = read_detector(mon.registry().find("web1")->liveness, silent_at);
    // Back 10 s later, a new run of its agent.
    const std::int64_t back_at = silent_at + 10'000;
    mon.on_datagram(datagram("web1", 1, {}, 2, 2'000'000), from, back_at);
    REQUIRE(rec.events.size() == 3);

    const auto& silent = std::get<HostSilent>(rec.kept[1]);
    REQUIRE(silent.detector.phi);
    CHECK(*silent.detector.phi >= c.detector.phi.threshold);
    CHECK(silent.detector.phi == then.phi);
    CHECK(silent.detector.loss == then.loss);
    CHECK(silent.detector.expected_ms == then.expected_ms);
    CHECK(silent.detector.expected_ms == Approx(100'000 + 1000).margin(5));

    // Just heard: phi is near nothing and the next beat about an interval away.
    const auto& back = std::get<HostBack>(rec.kept[2]);
    CHECK(back.restarted);
    REQUIRE(back.detector.phi);
    CHECK(*back.detector.phi < 0.1);
    CHECK(back.detector.expected_ms == Approx(back_at + 1000).margin(5));
}

TEST_CASE("each refused datagram is its own record, naming the host its datagram claimed",
          "[monitor][events]") {
    Store store;
    Recorder rec;
    Monitor mon(limited_to(1), store, rec);
    const std::string long_name(100, 'x');
    mon.on_datagram(datagram("a", 1), addr("10.0.0.1", 1), 0);
    mon.on_datagram(datagram(long_name, 1), addr("10.0.0.2", 2), 10);
    mon.on_datagram(datagram("b", 1), addr("10.0.0.3", 3), 20);
    REQUIRE(rec.kept.size() == 3);
    const auto& first = std::get<DatagramRefused>(rec.kept[1]);
    const auto& second = std::get<DatagramRefused>(rec.kept[2]);
    CHECK(first.host == long_name);
    CHECK(first.from.to_string() == "10.0.0.2:2");
    CHECK(first.at_ms == 10);
    CHECK(second.host == "b");
    CHECK(second.from.to_string() == "10.0.0.3:3");
    CHECK(second.reason == Refusal::host_limit);
}

TEST_CASE("a host keeps at most max-metrics-per-host names, and values under others are counted",
          "[monitor][metric_limit]") {
    Fixture f(metrics_per_host(2));
    f.mon.on_datagram(datagram("web1", 1, {{"a", 1}, {"b", 2}, {"c", 3}}), f.from, 0);
    f.mon.on_datagram(datagram("web1", 2, {{"c", 4}, {"d", 5}, {"a", 6}}, 1, 1'001'000), f.from,
                      1000);
    f.mon.on_datagram(datagram("web2", 1, {{"x", 1}, {"y", 2}}), f.from, 1000);
    const HostRecord* h = f.mon.registry().find("web1");
    REQUIRE(h != nullptr);
    REQUIRE(h->metrics.size() == 2);
    CHECK(h->metrics[0].name == "a");
    CHECK(h->metrics[0].value == 6);
    CHECK(h->metrics[1].name == "b");
    CHECK(h->metrics_refused == 3);
    CHECK(f.mon.registry().find("web2")->metrics_refused == 0);
    CHECK(f.mon.registry().find("web2")->metrics.size() == 2);
    CHECK(f.mon.stats().metrics_host_limit == 3);
    CHECK(f.mon.stats().metrics == 5);  // a twice, b, x, y.
    CHECK(f.store.find("web1.c") == nullptr);
    CHECK(f.store.find("web1.d") == nullptr);
    CHECK(f.store.find("web1.a")->points().size() == 2);
    CHECK(f.store.key_count() == 4);
}

TEST_CASE("a host's refused metric values are reported at most once a minute, with the count since",
          "[monitor][metric_limit][events]") {
    Fixture f(metrics_per_host(1));
    std::uint64_t seq = 0;
    const auto beat = [&](const std::string& host, std::int64_t at, std::vector<Metric> m) {
        ++seq;
        f.mon.on_datagram(datagram(host, seq, std::move(m), 1, 1'000'000 + at, 10'000), f.from, at);
    };
    beat("web1", 0, {{"kept", 1}, {"new.0", 1}});
    CHECK(f.rec.events == std::vector<std::string>{"new web1", "metrics refused web1 1 limit=1"});
    // A refusal every second for the next minute: one report, when the minute is up.
    for (std::int64_t t = 1000; t < kMetricsRefusedReportMs; t += 1000)
        beat("web1", t, {{"kept", 1}, {"new." + std::to_string(t), 1}});
    CHECK(f.rec.events.size() == 2);
    beat("web2", 30'000, {{"kept", 1}, {"other", 1}});  // Another host has its own minute.
    CHECK(f.rec.events.back() == "metrics refused web2 1 limit=1");
    beat("web1", kMetricsRefusedReportMs, {{"kept", 1}, {"last", 1}});
    CHECK(f.rec.events.back() == "metrics refused web1 60 limit=1");
    const auto& e = std::get<MetricsRefused>(f.rec.kept.back());
    CHECK(e.at_ms == kMetricsRefusedReportMs);
    CHECK(e.limit == 1);
    CHECK(e.host.address.to_string() == "10.0.0.1:4000");
    // A beat with nothing refused reports nothing; what was refused in the last minute is
    // reported by the first beat after it, refused or not.
    const std::size_t before = f.rec.events.size();
    beat("web1", 70'000, {{"kept", 1}});
    beat("web1", 80'000, {{"kept", 1}, {"again", 1}});
    beat("web1", 110'000, {{"kept", 1}});
    CHECK(f.rec.events.size() == before);
    beat("web1", 2 * kMetricsRefusedReportMs, {{"kept", 1}});
    CHECK(f.rec.events.back() == "metrics refused web1 1 limit=1");
    CHECK(f.mon.registry().find("web1")->metrics_refused == 62);
    CHECK(f.mon.stats().metrics_host_limit == 63);
}

TEST_CASE("a silent host's last refused metric values are reported by the periodic pass",
          "[monitor][metric_limit][events]") {
    Fixture f(metrics_per_host(1));
    f.mon.on_datagram(datagram("web1", 1, {{"a", 1}, {"b", 1}}), f.from, 0);
    f.mon.on_datagram(datagram("web1", 2, {{"a", 1}, {"c", 1}}, 1, 1'001'000), f.from, 1000);
    f.mon.expire(4000);
    f.mon.report(20'000);
    CHECK(f.rec.events.back() == "summary up=0 web1");
    f.mon.report(kMetricsRefusedReportMs);
    CHECK(f.rec.events == std::vector<std::string>{"new web1", "metrics refused web1 1 limit=1",
                                                   "silent web1 3000", "summary up=0 web1",
                                                   "metrics refused web1 1 limit=1",
                                                   "summary up=0 web1"});
    f.mon.report(3 * kMetricsRefusedReportMs);
    CHECK(f.rec.events.back() == "summary up=0 web1");
    CHECK(f.rec.events.size() == 7);
}

TEST_CASE("a metric name no beat carried for the retention is released, its series left to expire",
          "[monitor][metric_limit]") {
    Fixture f(metrics_per_host(2), RetentionLimits{10, 0, 0});  // 10 s.
    std::uint64_t seq = 0;
    const auto beat = [&](std::int64_t at, std::vector<Metric> m) {
        ++seq;
        f.mon.on_datagram(datagram("web1", seq, std::move(m), 1, 1'000'000 + at), f.from, at);
    };
    beat(0, {{"a", 1}, {"old", 1}});
    beat(5000, {{"a", 2}});
    beat(9999, {{"a", 3}, {"new", 3}});  // Refused: "old" still holds its slot.
    const HostRecord* h = f.mon.registry().find("web1");
    CHECK(h->metrics.size() == 2);
    CHECK(h->metrics_refused == 1);
    CHECK(f.mon.stats().metric_names_released == 0);

    beat(10'000, {{"new", 4}, {"a", 4}});  // 10 s after "old" was last carried.
    CHECK(f.mon.stats().metric_names_released == 1);
    REQUIRE(h->metrics.size() == 2);
    CHECK(h->metrics[0].name == "a");
    CHECK(h->metrics[0].value == 4);
    CHECK(h->metrics[1].name == "new");
    CHECK(h->metrics[1].value == 4);
    CHECK(h->metrics_refused == 1);
    // Once its points are past the retention the sweep removes "old", while the names the host
    // still holds keep their series, however old their points.
    f.store.sweep(1'000'000, 100);
    CHECK(f.store.find("web1.old") == nullptr);
    CHECK(f.store.find("web1.a") != nullptr);
    CHECK(f.store.find("web1.new") != nullptr);
}

TEST_CASE("names carried now and then are kept, and a store without retention releases none",
          "[monitor][metric_limit]") {
    Fixture f(metrics_per_host(2), RetentionLimits{0, 0, 0});
    f.mon.on_datagram(datagram("web1", 1, {{"a", 1}, {"b", 1}}), f.from, 0);
    f.mon.on_datagram(datagram("web1", 2, {{"a", 1}}, 1, 1'001'000), f.from, 100'000'000);
    CHECK(f.mon.registry().find("web1")->metrics.size() == 2);

    Fixture g(metrics_per_host(2), RetentionLimits{10, 0, 0});
    for (std::uint64_t i = 0; i < 10; ++i) {
        // "a" every 4 s, "b" every 8 s: both stay, at any moment.
        const std::int64_t at = static_cast<std::int64_t>(i) * 4000;
        std::vector<Metric> m{{"a", 1}};
        if (i % 2 == 0) m.push_back({"b", 1});
        g.mon.on_datagram(datagram("web1", i + 1, m, 1, 1'000'000 + at), g.from, at);
        CHECK(g.mon.registry().find("web1")->metrics.size() == 2);
    }
    CHECK(g.mon.stats().metric_names_released == 0);
}

TEST_CASE("each metric lands in its own slot and series whatever order the names come in",
          "[monitor][metric_limit]") {
    Fixture f(metrics_per_host(300));
    std::vector<Metric> m;
    for (int i = 0; i < 300; ++i)
        m.push_back({"metric." + std::to_string(i), double(i)});
    Heartbeat hb = big_beat();
    const auto send = [&](std::uint64_t seq, double offset) {
        hb.sequence = seq;
        hb.send_time_ms = 5000 + static_cast<std::int64_t>(seq) * 1000;
        hb.metrics = m;
        for (Metric& x : hb.metrics)
            x.value += offset;
        for (const std::string& d : pack_beat(hb))
            f.mon.on_datagram(d, f.from, static_cast<std::int64_t>(seq) * 1000);
    };
    send(1, 0);
    std::reverse(m.begin(), m.end());
    send(2, 1000);
    // Every third name moved to the front, the others after them: a new order again.
    std::stable_partition(m.begin(), m.end(),
                          [](const Metric& x) { return std::stoi(x.name.substr(7)) % 3 == 0; });
    send(3, 2000);
    const HostRecord* h = f.mon.registry().find("big");
    REQUIRE(h->metrics.size() == 300);
    CHECK(h->metrics_refused == 0);
    CHECK(f.store.key_count() == 300);
    for (int i = 0; i < 300; ++i) {
        INFO(i);
        CHECK(h->metrics[static_cast<std::size_t>(i)].name == "metric." + std::to_string(i));
        CHECK(h->metrics[static_cast<std::size_t>(i)].value == i + 2000);
        const Series* s = f.store.find("big.metric." + std::to_string(i));
        REQUIRE(s != nullptr);
        REQUIRE(s->points().size() == 3);
        CHECK(s->points()[0].value == i);
        CHECK(s->points()[1].value == i + 1000);
        CHECK(s->points()[2].value == i + 2000);
    }
}
