#include <catch2/catch.hpp>

#include "beat_server/core/pages/fleet_history.hpp"

using namespace beat;

TEST_CASE("the fleet history keeps the latest day of samples, oldest first", "[fleet_history]") {
    FleetHistory h;
    const auto n = static_cast<std::int64_t>(FleetHistory::kCapacity);
    for (std::int64_t i = 0; i < n + 3; ++i)
        h.push({i * kFleetSampleIntervalMs, static_cast<std::size_t>(i), 1});
    REQUIRE(h.size() == FleetHistory::kCapacity);
    CHECK(h[0] == FleetSample{3 * kFleetSampleIntervalMs, 3, 1});
    CHECK(h[h.size() - 1].up == static_cast<std::size_t>(n + 2));
    CHECK(FleetHistory::kCapacity * kFleetSampleIntervalMs == 86'400'000);
}
