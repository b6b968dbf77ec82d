#include <catch2/catch.hpp>

#include "beat_server/core/detect/flap_damper.hpp"

using namespace beat;
using Verdict = FlapDamper::Verdict;

TEST_CASE("the third silence within twenty timeouts is a flap, and later changes are quiet",
          "[flap]") {
    FlapDamper f;
    const FlapSettings s;  // 3 silences within 20 timeouts, settled after 10.
    CHECK(f.silent(0, 1000, s) == Verdict::report);
    CHECK(f.back(2000) == Verdict::report);
    CHECK(f.silent(5000, 1000, s) == Verdict::report);
    CHECK(f.back(6000) == Verdict::report);
    CHECK(f.silent(20'000, 1000, s) == Verdict::flapping);
    CHECK(f.flapping());
    CHECK(f.settle_at_ms() == 30'000);
    CHECK(f.back(21'000) == Verdict::quiet);
    CHECK(f.settle_at_ms() == 31'000);
    CHECK(f.silent(22'000, 1000, s) == Verdict::quiet);
    CHECK(f.settle_at_ms() == 32'000);
    f.settle();
    CHECK_FALSE(f.flapping());
    // Afresh: one more silence is reported as a silence.
    CHECK(f.silent(30'000, 1000, s) == Verdict::report);
}

TEST_CASE("silences spread wider than the span are each reported", "[flap]") {
    FlapDamper f;
    const FlapSettings s;
    for (std::int64_t t = 0; t < 1'000'000; t += 10'001) {
        CHECK(f.silent(t, 1000, s) == Verdict::report);  // Three span 20,002 ms > 20 timeouts.
        CHECK(f.back(t + 1) == Verdict::report);
    }
    CHECK_FALSE(f.flapping());
}

TEST_CASE("the span scales with the host's timeout", "[flap]") {
    FlapDamper f;
    const FlapSettings s;
    for (std::int64_t t : {0, 60'000}) {
        CHECK(f.silent(t, 6000, s) == Verdict::report);
        f.back(t + 1);
    }
    CHECK(f.silent(120'000, 6000, s) == Verdict::flapping);  // Within 20 x 6 s.
}

TEST_CASE("no damping when silences is 0", "[flap]") {
    FlapDamper f;
    FlapSettings s;
    s.silences = 0;
    for (int i = 0; i < 10; ++i)
        CHECK(f.silent(i, 1000, s) == Verdict::report);
}
