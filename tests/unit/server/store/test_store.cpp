#include <catch2/catch.hpp>

#include "beat_server/core/store/store.hpp"

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

TEST_CASE("points older than the retention are dropped and journalled as a trim", "[store]") {
    Store s(RetentionLimits{100, 0, 0});
    StoreJournal j;
    s.set_journal(&j);
    for (std::int64_t ts = 1000; ts < 1010; ++ts)
        s.put("k", ts, 1);
    j.clear();
    const auto r = s.sweep(1105, 100);
    CHECK(r.points_dropped == 5);
    CHECK(r.wrapped);
    CHECK(s.point_count() == 5);
    CHECK(points(s, "k").front().first == 1005);
    REQUIRE(j.trims.size() == 1);
    CHECK(j.trims[0].keep_from == 1005);
    CHECK(j.trims[0].key_id == s.find("k")->id());
}

TEST_CASE("a key keeps at most max-points-per-key points, the newest", "[store]") {
    Store s(RetentionLimits{0, 3, 0});
    for (std::int64_t ts = 1; ts <= 10; ++ts)
        s.put("k", ts, static_cast<double>(ts));
    s.sweep(10, 100);
    CHECK(points(s, "k") == std::vector<std::pair<std::int64_t, double>>{{8, 8}, {9, 9}, {10, 10}});
    CHECK(s.point_count() == 3);
}

TEST_CASE("a key left empty is removed unless pinned, keeping the others' order", "[store]") {
    Store s(RetentionLimits{10, 0, 0});
    StoreJournal j;
    s.set_journal(&j);
    s.put("old", 1, 1);
    s.put("pinned", 1, 1);
    s.series("pinned").pin();
    s.put("new", 100, 1);
    const std::uint64_t old_id = s.find("old")->id();
    s.sweep(100, 100);
    CHECK(s.find("old") == nullptr);
    REQUIRE(s.find("pinned") != nullptr);
    CHECK(s.find("pinned")->points().empty());
    std::vector<std::string> keys;
    for (const Store::Entry* e : s.entries())
        keys.push_back(e->first);
    CHECK(keys == std::vector<std::string>{"pinned", "new"});
    CHECK(j.removed == std::vector<std::uint64_t>{old_id});
    // A key that comes back gets a new number.
    s.put("old", 100, 2);
    CHECK(s.find("old")->id() != old_id);
}

TEST_CASE("a sweep visits at most the keys it is given and continues where it stopped", "[store]") {
    Store s(RetentionLimits{10, 0, 0});
    for (int i = 0; i < 10; ++i)
        s.put("k" + std::to_string(i), 1, 1);
    s.put("fresh", 100, 1);
    auto r = s.sweep(100, 4);
    CHECK(r.keys_visited == 4);
    CHECK(r.keys_removed == 4);
    CHECK_FALSE(r.wrapped);
    r = s.sweep(100, 4);
    CHECK(r.keys_removed == 4);
    r = s.sweep(100, 4);
    CHECK(r.keys_visited == 3);
    CHECK(r.keys_removed == 2);
    CHECK(r.wrapped);
    CHECK(s.key_count() == 1);
    CHECK(s.point_count() == 1);
}

TEST_CASE("a put for a new key beyond max-keys is refused, existing keys still take points",
          "[store]") {
    Store s(RetentionLimits{0, 0, 2});
    CHECK(s.put("a", 1, 1) == Store::PutResult::added);
    CHECK(s.put("b", 1, 1) == Store::PutResult::added);
    CHECK(s.put("c", 1, 1) == Store::PutResult::key_limit);
    CHECK(s.open("c") == nullptr);
    CHECK(s.put("a", 1, 2) == Store::PutResult::replaced);
    CHECK(s.put("a", 2, 2) == Store::PutResult::added);
    CHECK(s.key_count() == 2);
}

TEST_CASE("the journal records new keys and points in order, and restored data is not journalled",
          "[store]") {
    Store s;
    Series& kept = s.restore(41, "kept");
    s.restore_point(kept, 5, 0.5);
    StoreJournal j;
    s.set_journal(&j);
    s.put("kept", 6, 0.6);
    s.put("fresh", 7, 0.7);
    REQUIRE(j.keys.size() == 1);
    CHECK(j.keys[0].name == "fresh");
    CHECK(j.keys[0].id == 42);  // Numbers continue after the highest restored one.
    REQUIRE(j.points.size() == 2);
    CHECK(j.points[0].key_id == 41);
    CHECK(j.points[0].timestamp == 6);
    CHECK(j.points[1].key_id == 42);
    CHECK(s.point_count() == 3);
}

TEST_CASE("points are dropped in batches of at least 1/16 of a key's points", "[store]") {
    Store s(RetentionLimits{100, 0, 0});
    for (std::int64_t ts = 0; ts < 160; ++ts)
        s.put("k", ts, 1);
    CHECK(s.sweep(109, 10).points_dropped == 0);  // 9 expired: fewer than 160 / 16.
    CHECK(s.sweep(110, 10).points_dropped == 10);
    CHECK(s.find("k")->points().front().timestamp == 10);
}
