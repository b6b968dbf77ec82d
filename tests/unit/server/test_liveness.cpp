#include <catch2/catch.hpp>

#include <vector>

#include "beat_server/core/liveness.hpp"

using namespace beat;

namespace {

std::vector<int> expire(Liveness& l, std::int64_t now) {
    std::vector<int> ids;
    l.expire(now, [&](LivenessNode& n) { ids.push_back(*static_cast<int*>(n.owner)); });
    return ids;
}

}  // namespace

TEST_CASE("a host that misses three beats is reported silent once, at its deadline", "[liveness]") {
    Liveness l;
    int id = 1;
    LivenessNode n;
    n.owner = &id;
    CHECK(l.beat(n, 1000, 0) == HostState::unknown);
    CHECK(l.next_deadline() == 3000);
    CHECK(expire(l, 2999).empty());
    CHECK(expire(l, 3000) == std::vector<int>{1});
    CHECK(n.state == HostState::silent);
    CHECK(n.silent_since_ms == 3000);
    CHECK(expire(l, 10'000).empty());
    CHECK_FALSE(l.next_deadline());
    CHECK(l.silent_count() == 1);
}

TEST_CASE("every beat pushes the deadline back", "[liveness]") {
    Liveness l;
    int id = 1;
    LivenessNode n;
    n.owner = &id;
    for (std::int64_t t = 0; t < 100'000; t += 1000) {
        l.beat(n, 1000, t);
        CHECK(expire(l, t + 999).empty());
    }
    CHECK(l.next_deadline() == 99'000 + 3000);
}

TEST_CASE("a silent host that beats again is up, and the beat reports it was silent",
          "[liveness]") {
    Liveness l;
    int id = 1;
    LivenessNode n;
    n.owner = &id;
    l.beat(n, 100, 0);
    expire(l, 300);
    CHECK(l.beat(n, 100, 5000) == HostState::silent);
    CHECK(n.state == HostState::up);
    CHECK(l.silent_count() == 0);
    CHECK(l.up_count() == 1);
}

TEST_CASE("hosts with different intervals expire in deadline order", "[liveness]") {
    Liveness l;
    int ids[3] = {0, 1, 2};
    LivenessNode n[3];
    for (int i = 0; i < 3; ++i)
        n[i].owner = &ids[i];
    l.beat(n[0], 5000, 0);    // Deadline 15000.
    l.beat(n[1], 1000, 0);    // Deadline 3000.
    l.beat(n[2], 1000, 500);  // Deadline 3500.
    CHECK(l.next_deadline() == 3000);
    CHECK(expire(l, 3500) == std::vector<int>{1, 2});
    CHECK(l.next_deadline() == 15000);
    CHECK(expire(l, 15000) == std::vector<int>{0});
}

TEST_CASE("a fixed timeout ignores the advertised interval", "[liveness]") {
    Liveness l(250);
    int id = 1;
    LivenessNode n;
    n.owner = &id;
    l.beat(n, 60'000, 1000);
    CHECK(l.next_deadline() == 1250);
}

TEST_CASE("a host that changes its interval moves to the new deadline", "[liveness]") {
    Liveness l;
    int id = 1;
    LivenessNode n;
    n.owner = &id;
    l.beat(n, 1000, 0);
    l.beat(n, 10'000, 100);
    CHECK(l.next_deadline() == 30'100);
    CHECK(expire(l, 30'099).empty());
    CHECK(l.up_count() == 1);
}

TEST_CASE("expiry costs nothing for hosts that have not expired", "[liveness]") {
    // 100,000 hosts beating at one interval form one list: expiring pops only the expired heads.
    Liveness l;
    std::vector<int> ids(100'000);
    std::vector<LivenessNode> nodes(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        ids[i] = static_cast<int>(i);
        nodes[i].owner = &ids[i];
        l.beat(nodes[i], 1000, static_cast<std::int64_t>(i));  // Deadlines 3000 + i.
    }
    CHECK(expire(l, 3004) == std::vector<int>{0, 1, 2, 3, 4});
    CHECK(l.next_deadline() == 3005);
    CHECK(l.up_count() == ids.size() - 5);
}

TEST_CASE("a removed host is neither up nor silent", "[liveness]") {
    Liveness l;
    int id = 1;
    LivenessNode n;
    n.owner = &id;
    l.beat(n, 100, 0);
    expire(l, 1000);
    std::size_t seen = 0;
    l.for_each_silent([&](LivenessNode& s) {
        ++seen;
        l.remove(s);
    });
    CHECK(seen == 1);
    CHECK(l.silent_count() == 0);
    CHECK(n.state == HostState::unknown);
}
