#include <catch2/catch.hpp>

#include "beat_server/core/ingest/transition_ring.hpp"

using namespace beat;

TEST_CASE("a ring lists its transitions oldest first", "[transition_ring]") {
    TransitionRing ring;
    CHECK(ring.empty());
    CHECK(ring.last_at_ms() == INT64_MIN);
    ring.push({10, 10, TransitionKind::new_host});
    ring.push({50, 20, TransitionKind::silent});
    ring.push({70, 70, TransitionKind::back});
    REQUIRE(ring.size() == 3);
    CHECK(ring[0] == Transition{10, 10, TransitionKind::new_host});
    CHECK(ring[1] == Transition{50, 20, TransitionKind::silent});
    CHECK(ring[2] == Transition{70, 70, TransitionKind::back});
    CHECK(ring.last_at_ms() == 70);
}

TEST_CASE("a full ring drops its oldest transition for each new one", "[transition_ring]") {
    TransitionRing ring;
    const auto n = static_cast<std::int64_t>(TransitionRing::kCapacity);
    for (std::int64_t i = 0; i < n + 5; ++i)
        ring.push({i, i, i % 2 == 0 ? TransitionKind::silent : TransitionKind::back});
    REQUIRE(ring.size() == TransitionRing::kCapacity);
    CHECK(ring[0].at_ms == 5);
    CHECK(ring[ring.size() - 1].at_ms == n + 4);
    for (std::size_t i = 1; i < ring.size(); ++i)
        CHECK(ring[i].at_ms == ring[i - 1].at_ms + 1);
}

TEST_CASE("shifted() moves both times of every transition by the offset", "[transition_ring]") {
    TransitionRing ring;
    ring.push({10, 5, TransitionKind::silent});
    ring.push({30, 30, TransitionKind::settled_up});
    const std::vector<Transition> out = ring.shifted(1000);
    REQUIRE(out.size() == 2);
    CHECK(out[0] == Transition{1010, 1005, TransitionKind::silent});
    CHECK(out[1] == Transition{1030, 1030, TransitionKind::settled_up});
}

TEST_CASE("silent and settled silent start a silence, nothing else does", "[transition_ring]") {
    CHECK(starts_silence(TransitionKind::silent));
    CHECK(starts_silence(TransitionKind::settled_silent));
    CHECK_FALSE(starts_silence(TransitionKind::new_host));
    CHECK_FALSE(starts_silence(TransitionKind::back));
    CHECK_FALSE(starts_silence(TransitionKind::flapping));
    CHECK(to_string(TransitionKind::settled_silent) == "settled silent");
}
