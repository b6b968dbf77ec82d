#include <catch2/catch.hpp>

#include "beat_server/sim/simulator.hpp"

using namespace beat;
using namespace beat::sim;

namespace {

MonitorConfig detector(DetectorKind kind) {
    MonitorConfig c;
    c.detector.kind = kind;
    return c;
}

const Scenario& scenario(const std::vector<Scenario>& all, const std::string& name) {
    for (const Scenario& s : all) {
        if (s.name == name) return s;
    }
    FAIL("no scenario " << name);
    return all.front();
}

}  // namespace

TEST_CASE("a run is repeatable, and both detectors see the same fleet", "[sim]") {
    const auto all = standard_scenarios();
    const Scenario& s = scenario(all, "loss 5%");
    const RunOptions o{10, 2, 42};
    const RunResult a = run(s, detector(DetectorKind::phi), o);
    const RunResult b = run(s, detector(DetectorKind::phi), o);
    const RunResult f = run(s, detector(DetectorKind::fixed), o);
    CHECK(a.detections == b.detections);
    CHECK(a.false_silent == b.false_silent);
    CHECK(a.beats_sent == f.beats_sent);
    CHECK(a.beats_lost == f.beats_lost);
    CHECK(a.deaths == f.deaths);
    CHECK(a.alive_host_hours == f.alive_host_hours);
    CHECK(a.beats_lost == Approx(0.05 * static_cast<double>(a.beats_sent)).epsilon(0.1));
}

TEST_CASE("on clean links every death is reported and no live host is", "[sim]") {
    const auto all = standard_scenarios();
    const RunOptions o{20, 3, 7};
    const RunResult fixed = run(scenario(all, "clean"), detector(DetectorKind::fixed), o);
    const RunResult phi = run(scenario(all, "clean"), detector(DetectorKind::phi), o);
    for (const RunResult* r : {&fixed, &phi}) {
        CHECK(r->deaths > 30);
        CHECK(r->missed == 0);
        CHECK(r->false_silent == 0);
        CHECK(r->false_flapping == 0);
    }
    // A death comes 0-1 interval after the last beat; fixed reports 3 intervals after it, phi
    // about 2.93 once a host's link is known to be clean (pause 1.5 + interval 1 + 4.27
    // deviations of 0.1) and up to 3.5 while its loss prior fades.
    CHECK(fixed.detection_quantile(0.5) == Approx(2.5).margin(0.15));
    CHECK(phi.detection_quantile(0.5) == Approx(2.56).margin(0.15));
}

TEST_CASE("at 5% loss phi reports no live host silent while the fixed timeout reports many",
          "[sim]") {
    const auto all = standard_scenarios();
    const RunOptions o{20, 3, 9};
    const RunResult fixed = run(scenario(all, "loss 5%"), detector(DetectorKind::fixed), o);
    const RunResult phi = run(scenario(all, "loss 5%"), detector(DetectorKind::phi), o);
    CHECK(fixed.false_silent + fixed.false_flapping > 50);
    CHECK(phi.false_silent + phi.false_flapping == 0);
    CHECK(phi.missed == 0);
    CHECK(phi.detections.size() > 30);
}

TEST_CASE("a fleet that starts on lossy links is not reported while phi learns them", "[sim]") {
    // 3,000 hosts start at once and are watched for their first 3 minutes, at 5% and at 20% loss:
    // phi knows nothing of their links yet, and the loss prior keeps it from taking the first
    // runs of lost beats for deaths (without the prior it reported live hosts at both rates).
    const auto all = standard_scenarios();
    const RunOptions o{3000, 0.05, 1};
    for (const char* name : {"loss 5%", "loss 20%"}) {
        INFO(name);
        const RunResult fixed = run(scenario(all, name), detector(DetectorKind::fixed), o);
        const RunResult phi = run(scenario(all, name), detector(DetectorKind::phi), o);
        CHECK(fixed.false_silent + fixed.false_flapping > 100);
        CHECK(phi.false_silent + phi.false_flapping == 0);
        CHECK(phi.missed == 0);
    }
}

TEST_CASE("a run with the two-way channel is repeatable, and every detector sees the same deaths",
          "[sim]") {
    const auto all = probe_scenarios();
    const Scenario& s = scenario(all, "5% each way");
    const RunOptions o{10, 2, 42};
    const RunResult a = run(s, detector(DetectorKind::probe), o);
    const RunResult b = run(s, detector(DetectorKind::probe), o);
    const RunResult p = run(s, detector(DetectorKind::phi), o);
    CHECK(a.detections == b.detections);
    CHECK(a.false_silent == b.false_silent);
    CHECK(a.mistake_intervals == b.mistake_intervals);
    CHECK(a.acks == b.acks);
    CHECK(a.probes == b.probes);
    CHECK(a.answers == b.answers);
    CHECK(a.beat_bytes == b.beat_bytes);
    // Acknowledgements, probes and answers draw from streams of their own, and without bursts
    // they leave the beats' chain alone: whatever the detector sends, the same beats go out, are
    // lost and arrive.
    CHECK(a.beats_sent == p.beats_sent);
    CHECK(a.beats_lost == p.beats_lost);
    CHECK(a.deaths == p.deaths);
    CHECK(a.alive_host_hours == p.alive_host_hours);
    CHECK(a.beat_bytes > 0);
}

TEST_CASE(
    "a stall of the server's loop is reported to the monitor and what arrived meanwhile is "
    "read after it",
    "[sim]") {
    const auto all = probe_scenarios();
    const Scenario& s = scenario(all, "server stalls 5 s");
    // Stalls begin at 10, 20, ... 60 minutes; the last one outlasts the run.
    const RunOptions o{10, 1, 3};
    const RunResult r = run(s, detector(DetectorKind::fixed), o);
    CHECK(r.beats_lost == 0);
    CHECK(r.server_stalls == 5);
    CHECK(r.monitor.stalls == 5);
    // Only the beats still on the 1 ms link, or held by the stall going on at the end, have not
    // been read.
    CHECK(r.monitor.datagrams + 5 * 10 + 10 >= r.beats_sent);
}

TEST_CASE("a mistake lasts from the false silent report to the report that the host is back",
          "[sim]") {
    // Agents stall 1-5 intervals once per host-hour; the fixed timeout of 3 intervals takes those
    // stalls for deaths until the agent thaws, at most 6 intervals after its last beat.
    const auto all = probe_scenarios();
    const RunOptions o{20, 3, 5};
    const RunResult r = run(scenario(all, "agent stalls"), detector(DetectorKind::fixed), o);
    CHECK(r.false_silent > 5);
    CHECK(r.mistakes == r.false_silent);
    CHECK(r.mean_mistake_intervals() > 0.1);
    CHECK(r.mean_mistake_intervals() < 3);
}

TEST_CASE("acknowledgements go to every fourth beat, about a twentieth of the beats' bytes",
          "[sim]") {
    const auto all = probe_scenarios();
    const RunOptions o{20, 2, 11};
    const RunResult r = run(scenario(all, "clean"), detector(DetectorKind::fixed), o);
    const auto arrived = static_cast<double>(r.beats_sent - r.beats_lost);
    // Every fourth sequence number, and the first beat of each agent run.
    CHECK(static_cast<double>(r.acks) >= arrived / 4 - 20);
    CHECK(static_cast<double>(r.acks) == Approx(arrived / 4).epsilon(0.02));
    CHECK(r.monitor.acks == r.acks);
    // An acknowledgement is 32 bytes besides the host name (2.5 bytes on average); a beat of the
    // usual 8 metrics 39 besides it, and 142 for the metrics (70 bytes of names, 9 each besides).
    CHECK(r.ack_share() == Approx(0.25 * 34.5 / (41.5 + 142)).epsilon(0.02));
}

TEST_CASE("probes go only to hosts whose beats have arrived, and the agents answer them", "[sim]") {
    const auto all = probe_scenarios();
    const RunOptions o{20, 2, 13};
    const RunResult r = run(scenario(all, "5% each way"), detector(DetectorKind::probe), o);
    CHECK(r.probes > 0);
    CHECK(r.probes_to_unheard == 0);
    CHECK(r.answers > 0);
    CHECK(r.monitor.probes == r.probes);
    CHECK(r.monitor.answers + r.monitor.answers_stale > 0);
    // An answer is never larger than its probe.
    CHECK(r.answer_bytes <= r.probe_bytes);

    Scenario unheard = scenario(all, "clean");
    unheard.to_server.loss = 1;
    const RunResult u = run(unheard, detector(DetectorKind::probe), o);
    CHECK(u.probes == 0);
    CHECK(u.acks == 0);
}

TEST_CASE("hosts that answer are judged by probes, one-way hosts and older agents by phi",
          "[sim]") {
    const auto all = probe_scenarios();
    const RunOptions o{20, 1, 17};
    const RunResult clean = run(scenario(all, "clean"), detector(DetectorKind::probe), o);
    CHECK(clean.judged[static_cast<std::size_t>(JudgedBy::probe)] > 0);
    CHECK(clean.judged[static_cast<std::size_t>(JudgedBy::phi)] <
          clean.judged[static_cast<std::size_t>(JudgedBy::probe)]);

    Scenario old_agents = scenario(all, "clean");
    old_agents.agent.answers = false;
    for (const Scenario& s : {scenario(all, "one-way"), old_agents}) {
        INFO(s.name);
        const RunResult r = run(s, detector(DetectorKind::probe), o);
        CHECK(r.answers == (s.agent.answers ? r.answers : 0));
        CHECK(r.judged[static_cast<std::size_t>(JudgedBy::probe)] == 0);
        CHECK(r.judged[static_cast<std::size_t>(JudgedBy::phi)] > 0);
    }
}
