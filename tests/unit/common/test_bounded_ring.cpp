#include <catch2/catch.hpp>

#include "common/bounded_ring.hpp"

using namespace beat;

TEST_CASE("a bounded ring keeps the latest values, oldest first", "[bounded_ring]") {
    BoundedRing<int, 3> ring;
    CHECK(ring.empty());
    ring.push(1);
    ring.push(2);
    CHECK(ring.size() == 2);
    CHECK(ring[0] == 1);
    CHECK(ring.back() == 2);
    for (int v = 3; v <= 7; ++v)
        ring.push(v);
    REQUIRE(ring.size() == 3);
    CHECK(ring[0] == 5);
    CHECK(ring[1] == 6);
    CHECK(ring[2] == 7);
    CHECK(ring.back() == 7);
}
