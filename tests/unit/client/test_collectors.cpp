#include <catch2/catch.hpp>

#include "beat_client/core/collectors.hpp"

using namespace beat;

TEST_CASE("every collector has a name that parses back to it", "[collectors]") {
    for (Collector c : kAllCollectors)
        CHECK(parse_collector(to_string(c)) == c);
    CHECK_FALSE(parse_collector("gpu"));
    CHECK_FALSE(parse_collector(""));
}

TEST_CASE("by default every collector runs in every beat", "[collectors]") {
    const CollectorSchedule s;
    for (std::uint64_t beat = 0; beat < 5; ++beat) {
        for (Collector c : kAllCollectors)
            CHECK(s.due(beat).has(c));
    }
}

TEST_CASE("a collector set to every third beat runs in beats 0, 3, 6 only", "[collectors]") {
    CollectorSchedule s;
    s[Collector::disk].every = 3;
    std::vector<std::uint64_t> ran;
    for (std::uint64_t beat = 0; beat < 8; ++beat) {
        if (s.due(beat).has(Collector::disk)) ran.push_back(beat);
        CHECK(s.due(beat).has(Collector::cpu));
    }
    CHECK(ran == std::vector<std::uint64_t>{0, 3, 6});
}

TEST_CASE("a disabled collector never runs", "[collectors]") {
    CollectorSchedule s;
    s[Collector::net].enabled = false;
    for (std::uint64_t beat = 0; beat < 4; ++beat)
        CHECK_FALSE(s.due(beat).has(Collector::net));
    for (Collector c : kAllCollectors)
        s[c].enabled = false;
    CHECK(s.due(0).empty());
}
