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
