#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "beat_server/core/ingest/metric_slots.hpp"

using namespace beat;

namespace {

std::vector<std::string> names(const MetricSlots& slots) {
    std::vector<std::string> out;
    for (const HostMetric& m : slots)
        out.push_back(m.name);
    return out;
}

// Finds `name` with a fresh hint, as the first metric of a datagram.
HostMetric* find(MetricSlots& slots, std::string_view name) {
    std::size_t hint = 0;
    return slots.find(name, hint);
}

}  // namespace

TEST_CASE("every slot is found by name, in any order, among a thousand", "[metric_slots]") {
    MetricSlots slots;
    for (int i = 0; i < 1000; ++i)
        slots.add("m." + std::to_string(i), i, nullptr, 0);
    REQUIRE(slots.size() == 1000);
    for (int i = 999; i >= 0; i -= 7) {
        const HostMetric* m = find(slots, "m." + std::to_string(i));
        REQUIRE(m != nullptr);
        CHECK(m->value == i);
    }
    CHECK(find(slots, "m.1000") == nullptr);
    CHECK(find(slots, "") == nullptr);
    CHECK(names(slots).front() == "m.0");
    CHECK(names(slots).back() == "m.999");
}

TEST_CASE("the hint follows the names in the order they were added, and a miss moves it",
          "[metric_slots]") {
    MetricSlots slots;
    for (const char* n : {"cpu", "mem", "load", "disk"})
        slots.add(n, 0, nullptr, 0);
    std::size_t hint = 0;
    CHECK(slots.find("cpu", hint) == &slots[0]);
    CHECK(hint == 1);
    CHECK(slots.find("mem", hint) == &slots[1]);
    CHECK(hint == 2);
    // Out of order: found through the index, and the hint moves past the slot found.
    CHECK(slots.find("cpu", hint) == &slots[0]);
    CHECK(hint == 1);
    CHECK(slots.find("disk", hint) == &slots[3]);
    CHECK(hint == 4);
    CHECK(slots.find("swap", hint) == nullptr);
    CHECK(hint == 4);
    // A hint past the end is harmless.
    CHECK(slots.find("load", hint) == &slots[2]);
}

TEST_CASE("slots not carried for the age given are released, the others keep their order",
          "[metric_slots]") {
    MetricSlots slots;
    slots.add("a", 1, nullptr, 0);
    slots.add("b", 2, nullptr, 0);
    slots.add("c", 3, nullptr, 500);
    slots.add("d", 4, nullptr, 0);
    find(slots, "a")->last_carried_ms = 900;
    find(slots, "d")->last_carried_ms = 1000;

    std::vector<std::string> released;
    const auto record = [&](const HostMetric& m) { released.push_back(m.name); };
    CHECK(slots.release_older(999, 1000, record) == 0);
    CHECK(slots.release_older(1000, 1000, record) == 1);
    CHECK(released == std::vector<std::string>{"b"});
    CHECK(names(slots) == std::vector<std::string>{"a", "c", "d"});
    // Nothing more is due until 1500 (c, carried at 500).
    CHECK(slots.release_older(1499, 1000, record) == 0);
    CHECK(slots.release_older(1900, 1000, record) == 2);
    CHECK(released == std::vector<std::string>{"b", "a", "c"});
    CHECK(names(slots) == std::vector<std::string>{"d"});
    // The index follows: what went is no longer found, what stays and what comes next are.
    CHECK(find(slots, "a") == nullptr);
    REQUIRE(find(slots, "d") != nullptr);
    CHECK(find(slots, "d")->value == 4);
    slots.add("b", 5, nullptr, 2000);
    CHECK(find(slots, "b")->value == 5);
    CHECK(slots.release_older(3000, 1000, record) == 2);
    CHECK(slots.empty());
    CHECK(find(slots, "b") == nullptr);
    slots.add("e", 6, nullptr, 3000);
    CHECK(find(slots, "e")->value == 6);
}
