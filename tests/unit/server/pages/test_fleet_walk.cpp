#include "beat_server/core/pages/fleet_walk.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace beat;

namespace {

// The names `order` holds once sorted.
std::vector<std::string> names(HostOrder& order) {
    while (!order.sort(1 << 20)) {
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; i < order.size(); ++i)
        out.emplace_back(order.name(i));
    return out;
}

const auto kNoneFirst = [](const HostRecord&) { return false; };

}  // namespace

TEST_CASE("a fleet walk copies every host present, a bounded number of indexes per call",
          "[fleet_walk]") {
    Registry r;
    for (const char* n : {"d", "b", "a", "c", "e"})
        r.add(n, 0);
    FleetWalk walk(r);
    HostOrder order;
    int calls = 0;
    while (!walk.copy(r, order, 2, kNoneFirst))
        ++calls;
    CHECK(calls == 2);  // 5 indexes, 2 at a time: the third call ends the walk.
    CHECK(names(order) == std::vector<std::string>{"a", "b", "c", "d", "e"});
}

TEST_CASE("a fleet walk of an empty registry is done at once", "[fleet_walk]") {
    Registry r;
    FleetWalk walk(r);
    HostOrder order;
    CHECK(walk.copy(r, order, 0, kNoneFirst));
    CHECK(order.size() == 0);
}

TEST_CASE(
    "hosts removed before the walk reaches them, and hosts added meanwhile, are not copied,"
    " even under a removed host's name or index",
    "[fleet_walk]") {
    Registry r;
    for (const char* n : {"a", "b", "c", "d"})
        r.add(n, 0);
    FleetWalk walk(r);
    HostOrder order;
    REQUIRE_FALSE(walk.copy(r, order, 1, kNoneFirst));  // "a" is copied.
    // "a" leaves and comes back (a new record, maybe at a new index); "c" leaves and its index goes
    // to a new host; "z" is new.
    r.remove(*r.find("a"));
    r.remove(*r.find("c"));
    r.add("n", 5);
    r.add("a", 5);
    r.add("z", 5);
    while (!walk.copy(r, order, 1, kNoneFirst)) {
    }
    CHECK(names(order) == std::vector<std::string>{"a", "b", "d"});
}

TEST_CASE("a fleet walk sorts first the hosts its predicate picks", "[fleet_walk]") {
    Registry r;
    for (const char* n : {"a", "b", "c"})
        r.add(n, 0);
    FleetWalk walk(r);
    HostOrder order;
    REQUIRE(walk.copy(r, order, 10, [](const HostRecord& h) { return h.name == "c"; }));
    CHECK(names(order) == std::vector<std::string>{"c", "a", "b"});
}

TEST_CASE("a fleet walk's steps copy the names, then sort them, then say the order is ready",
          "[fleet_walk]") {
    Registry r;
    for (const char* n : {"c", "a", "b"})
        r.add(n, 0);
    FleetWalk walk(r);
    HostOrder order;
    CHECK_FALSE(walk.step(r, order, kNoneFirst));  // The walk: every index at once here.
    CHECK(order.size() == 3);
    CHECK_FALSE(order.sorted());
    CHECK(walk.step(r, order, kNoneFirst));  // The sort, done in one step.
    REQUIRE(order.sorted());
    CHECK(std::vector<std::string>{std::string(order.name(0)), std::string(order.name(1)),
                                   std::string(order.name(2))} ==
          std::vector<std::string>{"a", "b", "c"});
}
