#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "beat_server/core/detect/liveness.hpp"

using namespace beat;

namespace {

// The host_id of each node expire() reports, in order.
std::vector<std::uint32_t> expire(Liveness& l, std::int64_t now) {
    std::vector<std::uint32_t> ids;
    l.expire(now, [&](LivenessNode& n, Change) { ids.push_back(n.host_id); });
    return ids;
}

// The fixed-timeout detector: `timeout_ms`, or 3 x each host's interval.
Liveness fixed(std::optional<std::int64_t> timeout_ms = {}) {
    DetectorConfig c;
    c.kind = DetectorKind::fixed;
    return Liveness(c, timeout_ms);
}

// The phi detector with its default settings, pause and deviation floor as given.
DetectorConfig phi_config(double pause_intervals = PhiSettings{}.pause_intervals) {
    DetectorConfig c;
    c.kind = DetectorKind::phi;
    c.phi.pause_intervals = pause_intervals;
    return c;
}

}  // namespace

TEST_CASE("a host that misses three beats is reported silent once, at its deadline", "[liveness]") {
    Liveness l = fixed();
    LivenessNode n;
    n.host_id = 1;
    CHECK(l.beat(n, 1000, 0) == HostState::unknown);
    CHECK(l.next_deadline() == 3000);
    CHECK(expire(l, 2999).empty());
    CHECK(expire(l, 3000) == std::vector<std::uint32_t>{1});
    CHECK(n.state == HostState::silent);
    CHECK(n.silent_since_ms == 3000);
    CHECK(expire(l, 10'000).empty());
    CHECK_FALSE(l.next_deadline());
    CHECK(l.silent_count() == 1);
}

TEST_CASE("every beat pushes the deadline back", "[liveness]") {
    Liveness l = fixed();
    LivenessNode n;
    n.host_id = 1;
    for (std::int64_t t = 0; t < 100'000; t += 1000) {
        l.beat(n, 1000, t);
        CHECK(expire(l, t + 999).empty());
    }
    CHECK(l.next_deadline() == 99'000 + 3000);
}

TEST_CASE("a silent host that beats again is up, and the beat reports it was silent",
          "[liveness]") {
    Liveness l = fixed();
    LivenessNode n;
    n.host_id = 1;
    l.beat(n, 100, 0);
    expire(l, 300);
    CHECK(l.beat(n, 100, 5000) == HostState::silent);
    CHECK(n.state == HostState::up);
    CHECK(l.silent_count() == 0);
    CHECK(l.up_count() == 1);
}

TEST_CASE("hosts with different intervals expire in deadline order", "[liveness]") {
    Liveness l = fixed();
    LivenessNode n[3];
    for (std::uint32_t i = 0; i < 3; ++i)
        n[i].host_id = i;
    l.beat(n[0], 5000, 0);    // Deadline 15000.
    l.beat(n[1], 1000, 0);    // Deadline 3000.
    l.beat(n[2], 1000, 500);  // Deadline 3500.
    CHECK(l.next_deadline() == 3000);
    CHECK(expire(l, 3500) == std::vector<std::uint32_t>{1, 2});
    CHECK(l.next_deadline() == 15000);
    CHECK(expire(l, 15000) == std::vector<std::uint32_t>{0});
}

TEST_CASE("a fixed timeout ignores the advertised interval", "[liveness]") {
    Liveness l = fixed(250);
    LivenessNode n;
    n.host_id = 1;
    l.beat(n, 60'000, 1000);
    CHECK(l.next_deadline() == 1250);
}

TEST_CASE("a host that changes its interval moves to the new deadline", "[liveness]") {
    Liveness l = fixed();
    LivenessNode n;
    n.host_id = 1;
    l.beat(n, 1000, 0);
    l.beat(n, 10'000, 100);
    CHECK(l.next_deadline() == 30'100);
    CHECK(expire(l, 30'099).empty());
    CHECK(l.up_count() == 1);
}

TEST_CASE("expiry costs nothing for hosts that have not expired", "[liveness]") {
    // 100,000 hosts beating at one interval form one list: expiring pops only the expired heads.
    Liveness l = fixed();
    std::vector<LivenessNode> nodes(100'000);
    for (std::uint32_t i = 0; i < nodes.size(); ++i) {
        nodes[i].host_id = i;
        l.beat(nodes[i], 1000, static_cast<std::int64_t>(i));  // Deadlines 3000 + i.
    }
    CHECK(expire(l, 3004) == std::vector<std::uint32_t>{0, 1, 2, 3, 4});
    CHECK(l.next_deadline() == 3005);
    CHECK(l.up_count() == nodes.size() - 5);
}

TEST_CASE("a removed host is neither up nor silent", "[liveness]") {
    Liveness l = fixed();
    LivenessNode n;
    n.host_id = 1;
    l.beat(n, 100, 0);
    expire(l, 1000);
    std::size_t seen = 0;
    l.for_each_silent([&](LivenessNode& s) {
        ++seen;
        l.remove(s);
    });
    CHECK(seen == 1);
    CHECK(l.silent_count() == 0);
    CHECK(n.state == HostState::unknown);
}

namespace {

// A host beating every `interval` ms with +-5% jitter (the agent's default), one in `lose_every`
// beats lost when that is set. Returns the arrival time of its last beat.
std::int64_t beat_regularly(Liveness& l, LivenessNode& n, std::int64_t from, int beats,
                            std::uint32_t interval = 1000, int lose_every = 0) {
    std::mt19937 rng(3);
    std::uniform_int_distribution<int> jitter(-50, 50);
    std::int64_t t = from;
    std::uint64_t lost = 0;
    l.beat(n, interval, t);
    for (int i = 1; i < beats; ++i) {
        t += interval + jitter(rng) * static_cast<int>(interval) / 1000;
        if (lose_every && i % lose_every == 0) {
            ++lost;
            continue;
        }
        l.beat(n, interval, t, Arrival::next, lost);
        lost = 0;
        CHECK(expire(l, t).empty());
    }
    return t;
}

}  // namespace

TEST_CASE("phi: a regular host is declared silent within the expected bound", "[liveness][phi]") {
    Liveness l(phi_config());  // Threshold 8, pause 1.5 intervals, deviation >= 0.1 interval.
    LivenessNode n;
    n.host_id = 1;
    // 5,000 beats: the loss prior has faded (its weight is e^-5), the link is known to be clean.
    const std::int64_t last = beat_regularly(l, n, 0, 5000);
    // Even a stall of the acceptable pause (phi 3) must have ended and its first beat be 4.27
    // deviations late (phi 5 more): pause + mean + 4.27 x 100 ms, about 2.93 s. The deadline
    // may come a little early (a crossing reused while the loss prior fades), never the report.
    REQUIRE(l.next_deadline());
    CHECK(*l.next_deadline() - last >= 2900);
    std::int64_t reported = -1;
    for (std::int64_t t = last + 2900; t <= last + 3000 && reported < 0; ++t) {
        if (!expire(l, t).empty()) reported = t;
    }
    REQUIRE(reported > 0);
    CHECK(*read_detector(n, reported - 1).phi < 8);
    CHECK(*read_detector(n, reported).phi >= 8);
    CHECK(reported - last == n.timeout_ms);
    CHECK(reported - last >= 2920);
    CHECK(reported - last <= 2960);
    CHECK(n.state == HostState::silent);
}

TEST_CASE(
    "phi: a new host is judged as if it lost one beat in twenty, a restored one by the "
    "timeout",
    "[liveness][phi]") {
    Liveness l(phi_config());
    LivenessNode fresh, restored;
    fresh.host_id = 1;
    restored.host_id = 2;
    l.beat(fresh, 1000, 0);
    // The advertised 1 s, the 100 ms floor, the loss prior of 5%: 8 / 1.3 = 6.15 beats, so six
    // beats missing and the seventh a little overdue.
    PhiModel m;
    m.mean_ms = 1000;
    m.stddev_ms = 100;
    m.loss = 0.05;
    m.pause_ms = 1500;
    CHECK(fresh.timeout_ms == static_cast<std::int64_t>(std::ceil(phi_crossing_ms(m, 8))));
    CHECK(fresh.timeout_ms > 6000);
    CHECK(fresh.timeout_ms < 7000);
    CHECK(*read_detector(fresh, 0).phi < 1e-9);
    CHECK(read_detector(fresh, 0).loss == 0);  // What is shown is what was measured.
    l.beat(restored, 1000, 0, Arrival::restored);
    CHECK(restored.timeout_ms == 3000);
    CHECK(l.next_deadline() == 3000);
}

TEST_CASE("phi: one stall below the acceptable pause is not a silence", "[liveness][phi]") {
    Liveness l(phi_config(3));  // Akka's 3 s at a 1 s interval.
    LivenessNode n;
    n.host_id = 1;
    std::int64_t t = beat_regularly(l, n, 0, 100);
    // The agent stalls for 2.9 s: its next beat arrives 3.9 s after the last.
    CHECK(expire(l, t + 3900).empty());
    l.beat(n, 1000, t + 3900, Arrival::next, 0);
    CHECK(n.state == HostState::up);
    t = beat_regularly(l, n, t + 3900, 50);
    // It still goes silent soon after it really stops: 3 s + 1 s + some deviations, a little
    // more patiently than before, since the stall is now among its intervals (and its link is
    // not yet known after 150 beats).
    const std::int64_t timeout = *l.next_deadline() - t;
    CHECK(timeout > 4500);
    CHECK(timeout < 7000);
}

TEST_CASE("phi: lost beats do not raise phi between received beats", "[liveness][phi]") {
    Liveness l(phi_config());
    LivenessNode clean, lossy;
    clean.host_id = 0;
    lossy.host_id = 1;
    beat_regularly(l, clean, 0, 3000);
    const std::int64_t last = beat_regularly(l, lossy, 0, 3000, 1000, 20);  // 5% lost.
    // The lost beats are not taken for slow intervals: the expected interval stays 1 s...
    CHECK(lossy.phi->model.mean_ms == Approx(1000).margin(10));
    CHECK(read_detector(lossy, last).expected_ms == Approx(last + 1000).margin(10));
    CHECK(read_detector(lossy, last).loss == Approx(0.05).margin(0.01));
    // ...so phi within an interval of the last beat is no higher than the clean host's (both
    // are all but 0), and a beat overdue after a loss gets far more time before the host is
    // silent.
    for (std::int64_t after : {0, 500, 1000, 1200}) {
        INFO("after " << after);
        CHECK(*read_detector(lossy, last + after).phi <=
              *read_detector(clean, clean.heard_ms + after).phi + 1e-6);
    }
    // The clean host waits out a stall and one more beat (3.5 s), the lossy one six lost beats.
    CHECK(lossy.timeout_ms > clean.timeout_ms + 3000);
}

namespace {

// Applies what is due by `now` and appends the changes reported to `out`.
void collect(Liveness& l, std::int64_t now, std::vector<Change>& out) {
    l.expire(now, [&](LivenessNode&, Change c) { out.push_back(c); });
}

// Beats at 0, 4 and 8 s (interval 1 s, fixed timeout 3 s) and lets each beat's silence come: the
// third silence, at 11 s, makes the host flapping, and it is left silent.
void flap_three_times(Liveness& l, LivenessNode& n, std::vector<Change>& changes) {
    for (std::int64_t t = 0; t < 12'000; t += 4000) {
        l.beat(n, 1000, t);
        collect(l, t + 3000, changes);
    }
}

}  // namespace

TEST_CASE("flapping is reported once and settling once", "[liveness][flap]") {
    Liveness l = fixed();
    LivenessNode n;
    std::vector<Change> changes;
    // Up for 1 s, silent at +3 s, back at +4 s, ...: five silences 4 s apart.
    std::int64_t t = 0;
    for (int i = 0; i < 5; ++i) {
        l.beat(n, 1000, t);
        collect(l, t + 4000 - 1, changes);
        t += 4000;
        CHECK(n.flapping() == (i >= 2));
        CHECK(l.flapping_count() == (i >= 2 ? 1u : 0u));
    }
    l.beat(n, 1000, t);
    // Steady from now on: settled once it has been up for 10 timeouts (30 s).
    for (int i = 1; i <= 40; ++i) {
        l.beat(n, 1000, t + i * 1000);
        collect(l, t + i * 1000, changes);
    }
    CHECK(changes == std::vector<Change>{Change::silent, Change::silent, Change::flapping,
                                         Change::silent_damped, Change::silent_damped,
                                         Change::settled});
    CHECK_FALSE(n.flapping());
    CHECK(l.flapping_count() == 0);
    CHECK(n.state == HostState::up);
}

TEST_CASE("a flapping host that is removed is no longer counted as flapping", "[liveness][flap]") {
    Liveness l = fixed();
    LivenessNode n;
    std::vector<Change> changes;
    flap_three_times(l, n, changes);
    REQUIRE(n.flapping());
    CHECK(l.flapping_count() == 1);
    l.remove(n);
    CHECK(l.flapping_count() == 0);
    CHECK_FALSE(n.flapping());
}

TEST_CASE("a flapping host that dies is reported settled silent", "[liveness][flap]") {
    Liveness l = fixed();
    LivenessNode n;
    std::vector<Change> changes;
    flap_three_times(l, n, changes);
    REQUIRE(n.flapping());
    // Silent since 11 s: settled at 11 + 10 x 3 = 41 s.
    CHECK(l.next_deadline() == 41'000);
    collect(l, 41'000, changes);
    CHECK(changes.back() == Change::settled);
    CHECK(n.state == HostState::silent);
    CHECK_FALSE(l.next_deadline());
}

TEST_CASE(
    "phi: a crossing reused for a slightly different model never reports below the "
    "threshold",
    "[liveness][phi]") {
    Liveness l(phi_config());
    LivenessNode n;
    n.host_id = 1;
    std::int64_t t = 0;
    l.beat(n, 1000, t);
    for (int i = 0; i < 5000; ++i) {
        t += 1000;
        l.beat(n, 1000, t, Arrival::next, 0);
    }
    // The loss prior has faded: 1.5 s + 1 s + 4.27 x 100 ms (see the regular host above).
    const std::int64_t steady = n.timeout_ms;
    CHECK(steady >= 2920);
    CHECK(steady <= 2960);
    // One interval of 1.15 s moves the mean by 1.5 ms: close enough to keep the crossing...
    t += 1150;
    l.beat(n, 1000, t, Arrival::next, 0);
    CHECK(n.timeout_ms == steady);
    // ...which proves a millisecond early for the new mean: the host is queued again, not
    // reported, and is reported once phi really reaches the threshold.
    CHECK(expire(l, t + steady).empty());
    CHECK(n.state == HostState::up);
    REQUIRE(l.next_deadline());
    const std::int64_t deadline = *l.next_deadline();
    CHECK(deadline > t + steady);
    CHECK(*read_detector(n, deadline - 1).phi < 8);
    l.expire(deadline, [](LivenessNode&, Change c) { CHECK(c == Change::silent); });
    CHECK(n.state == HostState::silent);
    CHECK(*read_detector(n, deadline).phi >= 8);
}

namespace {

DetectorConfig probe_config() {
    DetectorConfig c;
    c.kind = DetectorKind::probe;
    return c;
}

struct Seen {
    std::vector<Change> changes;
};

Seen expire_probe(Liveness& l, std::int64_t now) {
    Seen s;
    l.expire(now, [&](LivenessNode&, Change c) { s.changes.push_back(c); });
    return s;
}

// Beats `n` every `interval` ms from 0 to `until` (excluded); returns the last beat's time.
std::int64_t beat_steadily(Liveness& l, LivenessNode& n, std::int64_t until,
                           std::uint32_t interval = 1000) {
    std::int64_t t = 0;
    for (; t < until; t += interval) {
        l.beat(n, interval, t, t == 0 ? Arrival::fresh : Arrival::next);
        expire_probe(l, t);
    }
    return t - interval;
}

}  // namespace

TEST_CASE("the probe detector judges a host by phi until its agent answers a probe",
          "[liveness][probe]") {
    Liveness l(probe_config());
    LivenessNode n;
    l.beat(n, 1000, 0, Arrival::fresh);
    CHECK(n.judged == JudgedBy::phi);
    CHECK(l.judged_count(JudgedBy::phi) == 1);
    REQUIRE(l.discover(n, 0));  // at the first beat of a run
    n.probe->nonce = 77;
    CHECK_FALSE(l.discover(n, 0));
    CHECK_FALSE(l.answered(n, 1, 3));  // no such probe
    CHECK(l.answered(n, 0, 2));
    CHECK(n.judged == JudgedBy::probe);
    CHECK(l.judged_count(JudgedBy::probe) == 1);
    CHECK(l.judged_count(JudgedBy::phi) == 0);
    CHECK_FALSE(l.answered(n, 0, 3));  // answered already: stale
    // A new run of the agent is taken to answer as the last one did, until its discovery
    // probes all go unanswered.
    l.beat(n, 1000, 1000, Arrival::fresh);
    CHECK(n.judged == JudgedBy::probe);
    int asked = 0;
    for (std::int64_t i = 1; i < 100; ++i) {
        l.beat(n, 1000, 1000 + i * 1000, i == 0 ? Arrival::fresh : Arrival::next);
        asked += l.discover(n, 1000 + i * 1000);
    }
    CHECK(asked == static_cast<int>(ProbeSettings{}.discovery_tries));
    CHECK(n.judged == JudgedBy::phi);
    CHECK(l.judged_count(JudgedBy::phi) == 1);
}

TEST_CASE("a host whose agent never answers is asked a bounded number of times",
          "[liveness][probe]") {
    DetectorConfig c = probe_config();
    Liveness l(c);
    LivenessNode n;
    int asked = 0;
    for (std::int64_t i = 0; i < 1000; ++i) {
        l.beat(n, 1000, i * 1000, i == 0 ? Arrival::fresh : Arrival::next);
        asked += l.discover(n, i * 1000);
    }
    CHECK(asked == static_cast<int>(c.probe.discovery_tries));
    CHECK(n.judged == JudgedBy::phi);
}

TEST_CASE(
    "a host judged by probes that goes quiet is probed, then declared silent by two "
    "intervals",
    "[liveness][probe]") {
    Liveness l(probe_config());
    LivenessNode n;
    const std::int64_t last = beat_steadily(l, n, 5000);
    REQUIRE(l.discover(n, last));
    REQUIRE(l.answered(n, 0, last + 1));
    std::int64_t silent_at = -1;
    int probes = 0;
    for (std::int64_t t = last; t < last + 10'000 && silent_at < 0; ++t) {
        l.expire(t, [&](LivenessNode&, Change c) {
            if (c == Change::probe) ++probes;
            if (c == Change::silent) silent_at = t;
        });
    }
    CHECK(probes >= 3);
    CHECK(probes <= static_cast<int>(ProbeSettings{}.max_probes));
    REQUIRE(silent_at > 0);
    // About two intervals from the last sign of life, the answer.
    CHECK(silent_at - (last + 1) <= 2250);
    CHECK(silent_at - (last + 1) > 1000);
    CHECK(n.timeout_ms == silent_at - n.heard_ms);
    CHECK(l.suspected_count() == 0);
}

TEST_CASE(
    "an answer during a suspicion ends it, and the host is looked at again an interval "
    "on",
    "[liveness][probe]") {
    Liveness l(probe_config());
    LivenessNode n;
    const std::int64_t last = beat_steadily(l, n, 5000);
    REQUIRE(l.discover(n, last));
    REQUIRE(l.answered(n, 0, last));
    std::int64_t first_probe = -1;
    for (std::int64_t t = last; first_probe < 0 && t < last + 3000; ++t) {
        l.expire(t, [&](LivenessNode&, Change c) {
            if (c == Change::probe) first_probe = t;
        });
    }
    REQUIRE(first_probe > last + 1000);
    CHECK(l.suspected_count() == 1);
    n.probe->nonce = 5;
    CHECK(l.answered(n, 0, first_probe + 1));
    CHECK(l.suspected_count() == 0);
    CHECK(n.state == HostState::up);
    CHECK(l.next_deadline() > first_probe + 1000);
}

TEST_CASE("a beat ends a suspicion, and the probes it left unanswered count as failures",
          "[liveness][probe]") {
    Liveness l(probe_config());
    LivenessNode n;
    const std::int64_t last = beat_steadily(l, n, 5000);
    REQUIRE(l.discover(n, last));
    REQUIRE(l.answered(n, 0, last));
    const double before = n.probe->outcomes.rate();
    int probes = 0;
    std::int64_t t = last;
    for (; probes < 3 && t < last + 3000; ++t) {
        l.expire(t, [&](LivenessNode&, Change c) { probes += c == Change::probe; });
    }
    REQUIRE(probes == 3);
    l.beat(n, 1000, t + 50, Arrival::next, 1);
    CHECK(l.suspected_count() == 0);
    CHECK(n.probe->outcomes.rate() > before);
}

TEST_CASE("no host is declared silent while the server's stall is held", "[liveness][probe]") {
    Liveness l(probe_config());
    LivenessNode n;
    const std::int64_t last = beat_steadily(l, n, 5000);
    // The loop stalled 5 s: when it runs again, the deadline is long past.
    l.hold_until(last + 5000 + 5000);
    CHECK(expire_probe(l, last + 5000).changes.empty());
    CHECK(n.state == HostState::up);
    // Its beats were waiting: read now, no interval measured from them.
    const double mean = n.phi->intervals.mean_ms();
    l.beat(n, 1000, last + 5001, Arrival::next, 0);
    l.beat(n, 1000, last + 5002, Arrival::next, 0);
    CHECK(n.phi->intervals.mean_ms() == mean);
    CHECK(n.state == HostState::up);
}

TEST_CASE("when a quarter of the hosts are suspected at once, their verdicts are held",
          "[liveness][probe]") {
    Liveness l(probe_config());
    std::vector<LivenessNode> nodes(40);
    for (std::int64_t t = 0; t < 5000; t += 1000) {
        for (auto& n : nodes)
            l.beat(n, 1000, t, t == 0 ? Arrival::fresh : Arrival::next);
    }
    for (auto& n : nodes) {
        REQUIRE(l.discover(n, 4000));
        REQUIRE(l.answered(n, 0, 4000));
    }
    // Every host goes quiet at once (the server's network, most likely).
    int held = 0;
    int silent = 0;
    std::int64_t t = 4000;
    for (; t < 4000 + 2500; ++t) {
        l.expire(t, [&](LivenessNode&, Change c) {
            held += c == Change::held;
            silent += c == Change::silent;
        });
    }
    CHECK(held == 40);
    CHECK(silent == 0);
    // If it lasts, they are declared silent after all.
    for (; t < 4000 + 20'000; t += 10) {
        l.expire(t, [&](LivenessNode&, Change c) { silent += c == Change::silent; });
    }
    CHECK(silent == 40);
}
