#include <catch2/catch.hpp>

#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "beat_server/core/query/executor.hpp"
#include "beat_server/core/query/reply_cursor.hpp"

using namespace beat;

namespace {

// The longest point line the tests' keys and values make ("<key> <value> <ts>\n").
constexpr std::size_t kLongestLine = 64;

// The reply to `line` in one piece, as the executor writes it with no budget.
std::string one_shot(Store& store, std::string_view line) {
    Executor ex(store);
    std::string out;
    ex.execute(parse_request(line), out, 0);
    return out;
}

// Writes `reply` to the end in slices of `budget` bytes, checking each slice's bound, and returns
// the concatenation.
std::string in_slices(ReplyCursor reply, std::size_t budget) {
    std::string all;
    for (int calls = 0; calls < 1'000'000; ++calls) {
        std::string slice;
        const bool done = reply.write(slice, budget);
        CHECK(!slice.empty());
        CHECK(slice.size() < std::max<std::size_t>(budget, 1) + kLongestLine);
        all += slice;
        if (done) {
            CHECK(reply.done());
            return all;
        }
    }
    FAIL("the reply never ended");
    return all;
}

using Listing = std::vector<std::pair<std::string, std::int64_t>>;

// The (key, timestamp) of each point line of a reply.
Listing listed(const std::string& reply) {
    Listing out;
    std::size_t pos = reply.find('\n') + 1;  // After "ok".
    while (pos < reply.size()) {
        const std::size_t end = reply.find('\n', pos);
        const std::string line = reply.substr(pos, end - pos);
        pos = end + 1;
        if (line.empty()) break;
        const std::size_t sp1 = line.find(' ');
        const std::size_t sp2 = line.rfind(' ');
        out.emplace_back(line.substr(0, sp1), std::stoll(line.substr(sp2 + 1)));
    }
    return out;
}

// Appends (key, t) for t from `first` to `last` to `listing`.
void add_run(Listing& listing, const std::string& key, std::int64_t first, std::int64_t last) {
    for (std::int64_t t = first; t <= last; ++t)
        listing.emplace_back(key, t);
}

// Writes `reply` a line at a time until it has listed `points` points, and returns what it wrote.
std::string write_points(ReplyCursor& reply, std::size_t points) {
    std::string out;
    while (listed(out).size() < points && !reply.write(out, 1)) {
    }
    return out;
}

// Puts into `key` a point at each timestamp from `first` to `last`, of value half the timestamp,
// each accepted at the second of its timestamp.
void put_run(Store& store, const std::string& key, std::int64_t first, std::int64_t last) {
    for (std::int64_t t = first; t <= last; ++t)
        store.put(key, t, static_cast<double>(t) * 0.5, t);
}

// Fills `store` with `keys` keys of `points` points each, timestamps 1..points.
void fill(Store& store, int keys, int points) {
    for (int k = 0; k < keys; ++k)
        put_run(store, "key." + std::to_string(k), 1, points);
}

}  // namespace

TEST_CASE("get * written in slices of any budget is the one-shot reply, byte for byte",
          "[reply_cursor]") {
    Store store;
    fill(store, 20, 50);
    store.put("empty.then.refilled", 7, 1e16, 7);
    const std::string whole = one_shot(store, "get *");
    for (std::size_t budget : {0, 1, 30, 100, 4096, 1 << 20}) {
        INFO("budget " << budget);
        CHECK(in_slices(ReplyCursor::all(store), budget) == whole);
    }
}

TEST_CASE("get KEY written in slices is the one-shot reply, and a missing key is ok and empty",
          "[reply_cursor]") {
    Store store;
    fill(store, 3, 500);
    const std::string whole = one_shot(store, "get key.1");
    CHECK(listed(whole).size() == 500);
    CHECK(in_slices(ReplyCursor::one(store, "key.1"), 100) == whole);
    CHECK(in_slices(ReplyCursor::one(store, "missing"), 100) == "ok\n\n");
    CHECK(in_slices(ReplyCursor::all(Store()), 100) == "ok\n\n");
}

TEST_CASE("a get with no budget is written whole after replies already in the buffer",
          "[reply_cursor]") {
    Store store;
    fill(store, 4, 100);
    const std::string whole = one_shot(store, "get *");
    Executor ex(store);
    std::string out = "ok\n\n";  // A reply written before, still in the buffer.
    CHECK(ex.execute(parse_request("get *"), out, 0).done());
    CHECK(out == "ok\n\n" + whole);
}

TEST_CASE("the executor writes a get up to its budget and the cursor it returns the rest",
          "[reply_cursor]") {
    Store store;
    fill(store, 4, 100);
    Executor ex(store);
    std::string out;
    ReplyCursor rest = ex.execute(parse_request("get *"), out, 0, 1000);
    CHECK(!rest.done());
    CHECK(out.size() >= 1000);
    CHECK(out.size() < 1000 + kLongestLine);
    CHECK(ex.stats().get_alls == 1);
    CHECK(out + in_slices(rest, 1000) == one_shot(store, "get *"));
    // Other requests are complete at once.
    CHECK(ex.execute(parse_request("put k 1 1"), out, 0, 1).done());
}

TEST_CASE("keys created after get * started are not listed, points put behind the cursor are not",
          "[reply_cursor]") {
    Store store;
    fill(store, 2, 10);  // key.0 and key.1, timestamps 1..10.
    ReplyCursor reply = ReplyCursor::all(store);
    std::string out = write_points(reply, 5);
    // The cursor is at key.0's timestamp 5.
    store.put("key.0", 3, 9, 12);     // Behind the cursor: not listed.
    store.put("key.0", 11, 9, 12);    // After key.0's newest when its listing began: not listed.
    store.put("key.1", 11, 9, 12);    // key.1 has not begun: its newest is now 11, listed.
    store.put("late.key", 1, 9, 12);  // Created after the reply started: not listed.
    out += in_slices(std::move(reply), 1);
    Listing expected;
    add_run(expected, "key.0", 1, 10);
    add_run(expected, "key.1", 1, 11);
    CHECK(listed(out) == expected);
}

TEST_CASE("the retention dropping the points and removing the keys of a get * between slices",
          "[reply_cursor]") {
    // a, b and c hold timestamps 1..32, d holds 1000..1031; a sweep at 1000 with a retention of
    // 100 s drops every point of a, b and c and removes them, which moves d to the front.
    Store store(RetentionLimits{100, 0, 0});
    for (const char* key : {"a", "b", "c"})
        put_run(store, key, 1, 32);
    put_run(store, "d", 1000, 1031);
    ReplyCursor reply = ReplyCursor::all(store);
    std::string out = write_points(reply, 40);  // Through a and 8 points into b.
    const Store::SweepResult swept = store.sweep(1000, 100);
    REQUIRE(swept.keys_removed == 3);
    out += in_slices(std::move(reply), 1);
    Listing expected;
    add_run(expected, "a", 1, 32);
    add_run(expected, "b", 1, 8);        // Removed while listed: its listing ends.
    add_run(expected, "d", 1000, 1031);  // c, removed before its turn, is not listed.
    CHECK(listed(out) == expected);
    CHECK(out.substr(out.size() - 2) == "\n\n");
}

TEST_CASE("points dropped from the front of the key being listed shift nothing it lists",
          "[reply_cursor]") {
    Store store(RetentionLimits{100, 0, 0});
    put_run(store, "k", 1, 200);
    ReplyCursor reply = ReplyCursor::one(store, "k");
    std::string out = write_points(reply, 100);
    // Drops the block of timestamps 1..128, last written at 128: the listing continues at 101
    // with 129.
    store.sweep(260, 100);
    REQUIRE(store.find("k")->points().size() == 72);
    out += in_slices(std::move(reply), 1);
    Listing expected;
    add_run(expected, "k", 1, 100);
    add_run(expected, "k", 129, 200);
    CHECK(listed(out) == expected);
}

TEST_CASE("a get KEY whose key is removed and created again ends without the new key's points",
          "[reply_cursor]") {
    Store store(RetentionLimits{100, 0, 0});
    put_run(store, "k", 1, 20);
    ReplyCursor reply = ReplyCursor::one(store, "k");
    std::string out = write_points(reply, 1);
    store.sweep(1000, 100);
    REQUIRE(store.find("k") == nullptr);
    store.put("k", 1000, 1, 1000);  // A new key under the same name.
    out += in_slices(std::move(reply), 1);
    CHECK(out == "ok\nk 0.5 1\n\n");
}

TEST_CASE("a get * under random puts and sweeps between slices lists nothing twice and in order",
          "[reply_cursor]") {
    std::mt19937 rng(14);
    for (int round = 0; round < 50; ++round) {
        Store store(RetentionLimits{50, 64, 0});
        auto random_put = [&] {
            const int key = static_cast<int>(rng() % 30);
            const auto ts = static_cast<std::int64_t>(rng() % 200);
            store.put("key." + std::to_string(key), ts, 1, ts);
        };
        for (int i = 0; i < 500; ++i)
            random_put();
        std::vector<std::string> order;  // The keys when the reply started, in insertion order.
        for (const Store::Entry* e : store.entries())
            order.push_back(e->first);
        ReplyCursor reply = ReplyCursor::all(store);
        std::string out;
        for (int slice = 0; !reply.write(out, 1 + rng() % 200) && slice < 100'000; ++slice) {
            for (int i = static_cast<int>(rng() % 8); i > 0; --i)
                random_put();
            if (rng() % 4 == 0) store.sweep(static_cast<std::int64_t>(rng() % 300), rng() % 20);
        }
        REQUIRE(reply.done());
        // Keys appear in their insertion order, each in one run, timestamps increasing.
        const auto points = listed(out);
        std::set<std::string> finished;
        std::size_t next_key = 0;
        for (std::size_t i = 0; i < points.size(); ++i) {
            const auto& [key, ts] = points[i];
            if (i > 0 && points[i - 1].first == key) {
                CHECK(points[i - 1].second < ts);
                continue;
            }
            CHECK(finished.insert(key).second);
            while (next_key < order.size() && order[next_key] != key)
                ++next_key;
            CHECK(next_key < order.size());
        }
    }
}
