#include <catch2/catch.hpp>

#include <cmath>

#include "beat_server/core/detect/probe_track.hpp"

using namespace beat;

namespace {

PhiModel clean(double mean = 1000) {
    PhiModel m;
    m.mean_ms = mean;
    m.stddev_ms = 0.03 * mean;
    m.loss = 0.001;
    m.burst = 0.001;
    return m;
}

}  // namespace

TEST_CASE("a host is suspected a margin after one mean interval", "[probe]") {
    ProbeSettings s;
    CHECK(suspect_after_ms(clean(), s) == Approx(1120));  // 4 deviations of 30 ms
    PhiModel steady = clean();
    steady.stddev_ms = 5;
    CHECK(suspect_after_ms(steady, s) == Approx(1100));  // the margin of 0.1 interval
}

TEST_CASE(
    "a probe is reckoned to fail as a round trip over the beats' link would, and as "
    "its bursts say",
    "[probe]") {
    ProbeTrack t;
    for (int i = 0; i < 5000; ++i)
        t.outcomes.record(0);
    // Independent loss of one beat in five: a round trip fails 1 - 0.8^2 = 36% of the time.
    LossRate independent;
    for (int i = 0; i < 5000; ++i)
        independent.record(i % 4 == 0 ? 1 : 0);
    CHECK(probe_failure(t, independent) >= 0.36);
    // Runs of three lost beats: a loss follows a loss two times in three.
    LossRate bursty;
    for (int i = 0; i < 5000; ++i)
        bursty.record(i % 20 == 0 ? 3 : 0);
    CHECK(probe_failure(t, bursty) > 0.6);
    // A link with no history is not taken for a clean one: bursts are assumed until seen.
    CHECK(probe_failure(ProbeTrack{}, LossRate{}) >= 0.45);
    // Probes that often go unanswered say so themselves.
    ProbeTrack lossy;
    for (int i = 0; i < 5000; ++i)
        lossy.outcomes.record(i % 2);  // one probe in three unanswered
    CHECK(probe_failure(lossy, LossRate{}) >= 1.0 / 3);
}

TEST_CASE("probes are spread so that the evidence reaches the threshold by the target", "[probe]") {
    ProbeSettings s;
    const PhiModel m = clean();
    const double e = -std::log10(0.1);  // one probe in ten unanswered: 1 per probe
    const std::int64_t spacing = probe_spacing_ms(m, 1120, e, 5, s);
    // The beats give -log10(0.001) = 3 and a half-due beat; the probes the rest.
    PhiModel beats = m;
    const double needed = std::ceil((s.threshold - phi(beats, 2000)) / e);
    CHECK(needed >= 6);
    CHECK(spacing == std::llround((2000.0 - 1120 - 5) / needed));
    // A link whose probes often fail needs more of them: they come closer, but never closer
    // than the floor.
    CHECK(probe_spacing_ms(m, 1120, 0.05, 5, s) == std::llround(s.min_spacing_intervals * 1000));
}

TEST_CASE("a probe counts as unanswered once the answer wait has passed since it went out",
          "[probe]") {
    ProbeSettings s;
    ProbeTrack t;
    t.suspecting = true;
    t.first_ms = 1000;
    t.spacing_ms = 100;
    t.sent = 3;
    t.rtt_ms = 10;  // wait 30 ms
    CHECK(unanswered(t, 1029, s, 1000) == 0);
    CHECK(unanswered(t, 1030, s, 1000) == 1);
    CHECK(unanswered(t, 1129, s, 1000) == 1);
    CHECK(unanswered(t, 1130, s, 1000) == 2);
    CHECK(unanswered(t, 5000, s, 1000) == 3);  // never more than were sent
}
