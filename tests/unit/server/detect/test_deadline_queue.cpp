#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <random>
#include <vector>

#include "beat_server/core/detect/deadline_queue.hpp"

using namespace beat;

namespace {

struct Item {
    DeadlineHook hook;
    int id = 0;
};

}  // namespace

TEST_CASE("the queue hands out nodes earliest deadline first", "[deadline_queue]") {
    DeadlineQueue<Item> q;
    std::vector<Item> items(5);
    const std::int64_t deadlines[] = {50, 10, 40, 20, 30};
    for (int i = 0; i < 5; ++i) {
        items[i].id = i;
        q.schedule(items[i], deadlines[i]);
    }
    std::vector<int> order;
    while (!q.empty()) {
        order.push_back(q.top().id);
        q.cancel(q.top());
    }
    CHECK(order == std::vector<int>{1, 3, 4, 2, 0});
    for (const Item& i : items)
        CHECK_FALSE(i.hook.queued());
}

TEST_CASE("rescheduling a node moves it earlier or later", "[deadline_queue]") {
    DeadlineQueue<Item> q;
    Item a, b;
    a.id = 1;
    b.id = 2;
    q.schedule(a, 100);
    q.schedule(b, 200);
    q.schedule(a, 300);
    CHECK(q.top().id == 2);
    CHECK(q.next_deadline() == 200);
    q.schedule(a, 50);
    CHECK(q.top().id == 1);
    CHECK(a.hook.deadline_ms == 50);
    CHECK(q.size() == 2);
    q.cancel(b);
    q.cancel(b);  // Not queued any more: nothing happens.
    CHECK(q.size() == 1);
}

TEST_CASE("random schedules and cancels keep the earliest deadline on top", "[deadline_queue]") {
    // Checked against a plain map after every operation.
    DeadlineQueue<Item> q;
    std::vector<Item> items(300);
    std::map<int, std::int64_t> expected;  // id -> deadline of the queued ones.
    std::mt19937 rng(7);                   // Its output sequence is fixed by the standard.
    for (int i = 0; i < 300; ++i)
        items[i].id = i;
    for (int step = 0; step < 20'000; ++step) {
        Item& it = items[rng() % items.size()];
        if (rng() % 4 == 0) {
            q.cancel(it);
            expected.erase(it.id);
        } else {
            const auto d = static_cast<std::int64_t>(rng() % 1000);
            q.schedule(it, d);
            expected[it.id] = d;
        }
        REQUIRE(q.size() == expected.size());
        if (expected.empty()) continue;
        std::int64_t min = expected.begin()->second;
        for (const auto& [id, d] : expected)
            min = std::min(min, d);
        REQUIRE(q.next_deadline() == min);
        REQUIRE(expected.at(q.top().id) == min);
    }
}
