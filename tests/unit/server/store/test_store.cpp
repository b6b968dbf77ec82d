#include <catch2/catch.hpp>

#include <map>
#include <stdexcept>
#include <vector>

#include "beat_server/core/store/store.hpp"

using namespace beat;

namespace {

using Points = std::vector<std::pair<std::int64_t, double>>;

// An acceptance time: 2023-11-14, Unix seconds.
constexpr std::int64_t kAt = 1'700'000'000;

std::vector<std::pair<std::int64_t, double>> points(const Store& s, std::string_view key) {
    std::vector<std::pair<std::int64_t, double>> out;
    if (const Series* series = s.find(key)) {
        for (const Point& p : series->points())
            out.emplace_back(p.timestamp, p.value);
    }
    return out;
}

// The timestamps of `key`'s points.
std::vector<std::int64_t> timestamps(const Store& s, std::string_view key) {
    std::vector<std::int64_t> out;
    for (const auto& p : points(s, key))
        out.push_back(p.first);
    return out;
}

// Whole seconds from `from` to `to`, both included.
std::vector<std::int64_t> range(std::int64_t from, std::int64_t to, std::int64_t step = 1) {
    std::vector<std::int64_t> out;
    for (std::int64_t ts = from; ts <= to; ts += step)
        out.push_back(ts);
    return out;
}

}  // namespace

TEST_CASE("points come back sorted by timestamp whatever the insertion order", "[store]") {
    Store s;
    s.put("k", 5, 0.5, kAt);
    s.put("k", 1, 0.1, kAt);
    s.put("k", 9, 0.9, kAt);
    s.put("k", 3, 0.3, kAt);
    CHECK(points(s, "k") == Points{{1, 0.1}, {3, 0.3}, {5, 0.5}, {9, 0.9}});
    CHECK(s.point_count() == 4);
}

TEST_CASE("a second put for the same key and second replaces the value", "[store]") {
    Store s;
    s.put("k", 5, 1, kAt);
    s.put("k", 7, 2, kAt);
    s.put("k", 5, 3, kAt);  // In the middle.
    s.put("k", 7, 4, kAt);  // At the end.
    CHECK(points(s, "k") == Points{{5, 3}, {7, 4}});
    CHECK(s.point_count() == 2);
}

TEST_CASE("keys are listed in first-insertion order", "[store]") {
    Store s;
    for (const char* k : {"zeta", "alpha", "zeta", "mid", "alpha"})
        s.put(k, 1, 1, kAt);
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
        s.put("k" + std::to_string(i), 1, i, kAt);
    first.put(1, 42, kAt);
    CHECK(s.find("first") == &first);
    CHECK(first.points().front().value == 42);
}

TEST_CASE("blocks partition the points in runs of at most 128, whatever the insertion order",
          "[store]") {
    Series s;
    std::uint64_t x = 42;
    for (int i = 0; i < 5'000; ++i) {
        x = x * 6364136223846793005u + 1442695040888963407u;  // A fixed pseudo-random order.
        s.put(static_cast<std::int64_t>(x >> 52), 1, kAt + i);
    }
    std::size_t start = 0;
    for (const Series::Block& b : s.blocks()) {
        CHECK(b.end > start);
        CHECK(b.end - start <= Series::kBlockPoints);
        start = b.end;
    }
    CHECK(start == s.points().size());
    CHECK(std::is_sorted(s.points().begin(), s.points().end(),
                         [](const Point& a, const Point& b) { return a.timestamp < b.timestamp; }));
    // Appended in order, points fill their blocks.
    Series in_order;
    for (std::int64_t ts = 0; ts < 1'000; ++ts)
        in_order.put(ts, 1, kAt);
    CHECK(in_order.blocks().size() == 8);
}

TEST_CASE("a point is kept a retention after it was accepted, whatever its timestamp", "[store]") {
    // 1150864247 is the protocol's own example; 1 is what its client test suites send.
    const std::int64_t ts = GENERATE(1'150'864'247, 1);
    const std::int64_t retention = 7 * 86'400;
    Store s(RetentionLimits{retention, 100'000, 0});
    StoreJournal j;
    s.set_journal(&j);
    REQUIRE(s.put("palm.cpu", ts, 2.0, kAt) == Store::PutResult::added);
    j.clear();
    for (std::int64_t now = kAt; now <= kAt + retention; now += 3'600)
        s.sweep(now, 100);
    CHECK(points(s, "palm.cpu") == Points{{ts, 2.0}});
    s.sweep(kAt + retention, 100);
    CHECK(points(s, "palm.cpu") == Points{{ts, 2.0}});
    const std::uint64_t id = s.find("palm.cpu")->id();
    const auto r = s.sweep(kAt + retention + 1, 100);
    CHECK(r.points_dropped == 1);
    CHECK(s.find("palm.cpu") == nullptr);
    CHECK(s.point_count() == 0);
    // The disk drops what expires on its own: only the key's removal is journalled.
    CHECK(j.trims.empty());
    CHECK(j.removed == std::vector<std::uint64_t>{id});
}

TEST_CASE("a back-filled point refreshes its old block, and only that block", "[store]") {
    Store s(RetentionLimits{100, 0, 0});
    for (std::int64_t ts = 2; ts <= 256; ts += 2)  // One full block: 2, 4, ..., 256.
        s.put("k", ts, 1, kAt);
    for (std::int64_t ts = 1'000; ts < 1'010; ++ts)  // A second block.
        s.put("k", ts, 1, kAt);
    REQUIRE(s.find("k")->blocks().size() == 2);
    // Back-filling 3 splits the full block; the half that takes it is written again at kAt + 50.
    s.put("k", 3, 2, kAt + 50);
    s.sweep(kAt + 100, 100);
    CHECK(s.point_count() == 139);
    s.sweep(kAt + 101, 100);
    std::vector<std::int64_t> want = range(2, 128, 2);
    want.insert(want.begin() + 1, 3);
    CHECK(timestamps(s, "k") == want);
    CHECK(s.point_count() == 65);
    s.sweep(kAt + 151, 100);
    CHECK(s.find("k") == nullptr);
}

TEST_CASE("a block dated in the future or refreshed does not hold back expired blocks", "[store]") {
    Store s(RetentionLimits{100, 0, 0});
    const std::int64_t year_9999 = 253'402'300'799;
    for (std::int64_t ts = 1'000; ts < 1'128; ++ts)  // Accepted first: expires first.
        s.put("k", ts, 1, kAt);
    s.put("k", year_9999, 1, kAt + 50);
    for (std::int64_t ts = 1; ts <= 128; ++ts)  // Back-filled before it, accepted later.
        s.put("k", ts, 1, kAt + 50);
    REQUIRE(s.find("k")->blocks().size() == 3);
    s.sweep(kAt + 101, 100);
    std::vector<std::int64_t> want = range(1, 128);
    want.push_back(year_9999);
    CHECK(timestamps(s, "k") == want);
    s.sweep(kAt + 151, 100);
    CHECK(s.find("k") == nullptr);
}

TEST_CASE("a key keeps at most max-points-per-key points, the newest, journalled as a trim",
          "[store]") {
    Store s(RetentionLimits{0, 3, 0});
    StoreJournal j;
    s.set_journal(&j);
    for (std::int64_t ts = 10; ts >= 1; --ts)  // Newest first: the cap is by timestamp.
        s.put("k", ts, static_cast<double>(ts), kAt + 10 - ts);
    s.sweep(kAt + 10, 100);
    CHECK(points(s, "k") == Points{{8, 8}, {9, 9}, {10, 10}});
    CHECK(s.point_count() == 3);
    REQUIRE(j.trims.size() == 1);
    CHECK(j.trims[0].key_id == s.find("k")->id());
    CHECK(j.trims[0].keep_from == 8);
    // It covers the points written before it, not the ones written after.
    CHECK(j.trims[0].points_before == 10);
    s.put("k", 1, 1, kAt + 11);
    CHECK(j.points.size() == 11);
}

TEST_CASE("a key left empty is removed unless pinned, keeping the others' order", "[store]") {
    Store s(RetentionLimits{10, 0, 0});
    StoreJournal j;
    s.set_journal(&j);
    s.put("old", 1, 1, kAt);
    s.put("pinned", 1, 1, kAt);
    s.series("pinned").pin();
    s.put("new", 1, 1, kAt + 100);
    const std::uint64_t old_id = s.find("old")->id();
    s.sweep(kAt + 100, 100);
    CHECK(s.find("old") == nullptr);
    REQUIRE(s.find("pinned") != nullptr);
    CHECK(s.find("pinned")->points().empty());
    std::vector<std::string> keys;
    for (const Store::Entry* e : s.entries())
        keys.push_back(e->first);
    CHECK(keys == std::vector<std::string>{"pinned", "new"});
    CHECK(j.removed == std::vector<std::uint64_t>{old_id});
    // A key that comes back gets a new number.
    s.put("old", 100, 2, kAt + 100);
    CHECK(s.find("old")->id() != old_id);
}

TEST_CASE("a sweep visits at most the keys it is given and continues where it stopped", "[store]") {
    Store s(RetentionLimits{10, 0, 0});
    for (int i = 0; i < 10; ++i)
        s.put("k" + std::to_string(i), 1, 1, kAt);
    s.put("fresh", 1, 1, kAt + 100);
    auto r = s.sweep(kAt + 100, 4);
    CHECK(r.keys_visited == 4);
    CHECK(r.keys_removed == 4);
    CHECK_FALSE(r.wrapped);
    r = s.sweep(kAt + 100, 4);
    CHECK(r.keys_removed == 4);
    r = s.sweep(kAt + 100, 4);
    CHECK(r.keys_visited == 3);
    CHECK(r.keys_removed == 2);
    CHECK(r.wrapped);
    CHECK(s.key_count() == 1);
    CHECK(s.point_count() == 1);
}

TEST_CASE("a put for a new key beyond max-keys is refused, existing keys still take points",
          "[store]") {
    Store s(RetentionLimits{0, 0, 2});
    CHECK(s.put("a", 1, 1, kAt) == Store::PutResult::added);
    CHECK(s.put("b", 1, 1, kAt) == Store::PutResult::added);
    CHECK(s.put("c", 1, 1, kAt) == Store::PutResult::key_limit);
    CHECK(s.open("c") == nullptr);
    CHECK(s.put("a", 1, 2, kAt) == Store::PutResult::replaced);
    CHECK(s.put("a", 2, 2, kAt) == Store::PutResult::added);
    CHECK(s.key_count() == 2);
}

TEST_CASE("the journal records new keys and points in order, and restored data is not journalled",
          "[store]") {
    Store s;
    Series& kept = s.restore(41, "kept");
    s.restore_point(kept, 5, 0.5, kAt);
    StoreJournal j;
    s.set_journal(&j);
    s.put("kept", 6, 0.6, kAt);
    s.put("fresh", 7, 0.7, kAt);
    REQUIRE(j.keys.size() == 1);
    CHECK(j.keys[0].name == "fresh");
    CHECK(j.keys[0].id == 42);  // Numbers continue after the highest restored one.
    REQUIRE(j.points.size() == 2);
    CHECK(j.points[0].key_id == 41);
    CHECK(j.points[0].timestamp == 6);
    CHECK(j.points[1].key_id == 42);
    CHECK(s.point_count() == 3);
}

TEST_CASE("the tap records the same new keys, points and removed keys as the journal, no trims",
          "[store]") {
    Store s(RetentionLimits{100, 2, 0});
    StoreJournal journal;
    StoreJournal tap;
    s.set_journal(&journal);
    s.set_tap(&tap);
    for (std::int64_t ts = 1; ts <= 3; ++ts)
        s.put("k", ts, 1, kAt);
    REQUIRE(tap.keys.size() == 1);
    CHECK(tap.keys[0].name == "k");
    CHECK(tap.points.size() == 3);
    s.sweep(kAt, 100);  // Trims the key to its newest 2 points.
    CHECK_FALSE(journal.trims.empty());
    CHECK(tap.trims.empty());
    s.sweep(kAt + 101, 100);
    REQUIRE(tap.removed.size() == 1);
    CHECK(tap.removed[0] == tap.keys[0].id);
    s.set_tap(nullptr);
    s.put("later", 9, 1, kAt);
    CHECK(tap.keys.size() == 1);
}

TEST_CASE("a restored point keeps the acceptance time it was read back with", "[store]") {
    Store s(RetentionLimits{100, 0, 0});
    s.restore_point(s.restore(1, "k"), 1, 1, kAt);
    s.sweep(kAt + 100, 100);
    CHECK(s.point_count() == 1);
    s.sweep(kAt + 101, 100);
    CHECK(s.point_count() == 0);
}

TEST_CASE("points are dropped in batches of at least 1/16 of a key's points", "[store]") {
    Store s(RetentionLimits{100, 0, 0});
    for (std::int64_t ts = 0; ts < 40 * 128; ++ts)  // 40 blocks, block i accepted at kAt + i.
        s.put("k", ts, 1, kAt + ts / 128);
    CHECK(s.sweep(kAt + 101, 10).points_dropped == 0);  // 1 block expired: fewer than 1/16.
    CHECK(s.sweep(kAt + 103, 10).points_dropped == 3 * 128);
    CHECK(s.find("k")->points().front().timestamp == 3 * 128);
}

TEST_CASE("a series kept in chunks reads back what was put, whatever the order and repeats",
          "[store]") {
    Series s;
    std::map<std::int64_t, double> model;
    std::uint64_t x = 7;
    for (int i = 0; i < 6'000; ++i) {
        x = x * 6364136223846793005u + 1442695040888963407u;  // A fixed pseudo-random order.
        const auto ts = static_cast<std::int64_t>(x >> 53);   // 2,048 seconds: many repeats.
        const double value = i % 3 == 0 ? 0.25 * i : static_cast<double>(x >> 40) / 7;
        CHECK(s.put(ts, value, kAt) == model.insert_or_assign(ts, value).second);
    }
    REQUIRE(s.size() == model.size());
    REQUIRE(s.blocks().size() > 1);
    std::vector<Point> got(s.points().begin(), s.points().end());
    std::vector<Point> want;
    for (const auto& [ts, v] : model)
        want.push_back({ts, v});
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        CHECK(got[i].timestamp == want[i].timestamp);
        CHECK(got[i].value == want[i].value);
    }
    const Series::Range all = s.points();
    CHECK(all.back().timestamp == want.back().timestamp);
    CHECK(all[1'000].timestamp == want[1'000].timestamp);
    CHECK_THROWS_AS(all.at(want.size()), std::out_of_range);
    for (const std::int64_t after : {std::int64_t{-1}, want[0].timestamp, want[700].timestamp,
                                     want[700].timestamp + 1, want.back().timestamp}) {
        const auto first =
            std::upper_bound(want.begin(), want.end(), after,
                             [](std::int64_t ts, const Point& p) { return ts < p.timestamp; });
        const Series::Range rest = s.points_after(after);
        CHECK(rest.size() == static_cast<std::size_t>(want.end() - first));
        if (!rest.empty()) CHECK(rest.front().timestamp == first->timestamp);
    }
}

TEST_CASE("rotation that cuts into a chunk keeps the rest of it", "[store]") {
    Store s(RetentionLimits{0, 1'000, 0});
    for (std::int64_t ts = 0; ts < 1'100; ++ts)
        s.put("k", ts, 0.5 * static_cast<double>(ts), kAt);
    s.sweep(kAt, 10);
    REQUIRE(s.point_count() == 1'000);
    std::int64_t ts = 100;
    for (const Point& p : s.find("k")->points()) {
        CHECK(p.timestamp == ts);
        CHECK(p.value == 0.5 * static_cast<double>(ts));
        ++ts;
    }
    CHECK(ts == 1'100);
    CHECK(s.put("k", 1'100, 1, kAt) == Store::PutResult::added);
    CHECK(s.find("k")->points().back().timestamp == 1'100);
}
