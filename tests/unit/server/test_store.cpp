#include <catch2/catch.hpp>

#include "beat_server/core/store.hpp"

using namespace beat;

namespace {
std::vector<std::pair<std::int64_t, double>> points(const Store& s, std::string_view key) {
    std::vector<std::pair<std::int64_t, double>> out;
    if (const Series* series = s.find(key)) {
        for (const Point& p : series->points())
            out.emplace_back(p.timestamp, p.value);
    }
    return out;
}
}  // namespace

TEST_CASE("points come back sorted by timestamp whatever the insertion order", "[store]") {
    Store s;
    s.put("k", 5, 0.5);
    s.put("k", 1, 0.1);
    s.put("k", 9, 0.9);
    s.put("k", 3, 0.3);
    CHECK(points(s, "k") ==
          std::vector<std::pair<std::int64_t, double>>{{1, 0.1}, {3, 0.3}, {5, 0.5}, {9, 0.9}});
    CHECK(s.point_count() == 4);
}

TEST_CASE("a second put for the same key and second replaces the value", "[store]") {
    Store s;
    s.put("k", 5, 1);
    s.put("k", 7, 2);
    s.put("k", 5, 3);  // In the middle.
    s.put("k", 7, 4);  // At the end.
    CHECK(points(s, "k") == std::vector<std::pair<std::int64_t, double>>{{5, 3}, {7, 4}});
    CHECK(s.point_count() == 2);
}

TEST_CASE("keys are listed in first-insertion order", "[store]") {
    Store s;
    for (const char* k : {"zeta", "alpha", "zeta", "mid", "alpha"})
        s.put(k, 1, 1);
    std::vector<std::string> keys;
    for (const Store::Entry* e : s.entries())
        keys.push_back(e->first);
    CHECK(keys == std::vector<std::string>{"zeta", "alpha", "mid"});
    CHECK(s.key_count() == 3);
}

TEST_CASE("a missing key is not found and not created by a lookup", "[store]") {
    Store s;
    CHECK(s.find("nope") == nullptr);
    CHECK(s.key_count() == 0);
}

TEST_CASE("series references stay valid as the store grows", "[store]") {
    Store s;
    Series& first = s.series("first");
    for (int i = 0; i < 10'000; ++i)
        s.put("k" + std::to_string(i), 1, i);
    first.put(1, 42);
    CHECK(s.find("first") == &first);
    CHECK(first.points().front().value == 42);
}
