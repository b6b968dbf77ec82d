#include <catch2/catch.hpp>

#include "beat_server/core/ingest/registry.hpp"

using namespace beat;

TEST_CASE("a host added to the registry is found by name and by the index its detector node holds",
          "[registry]") {
    Registry r;
    HostRecord& h = r.add("web-1", 1234);
    CHECK(h.name == "web-1");
    CHECK(h.first_seen_ms == 1234);
    CHECK(&r.at(h.liveness.host_id) == &h);
    CHECK(r.find("web-1") == &h);
    CHECK(r.find("web-2") == nullptr);
    CHECK(r.size() == 1);
}

TEST_CASE("records stay in place as the registry grows, and removal drops one", "[registry]") {
    Registry r;
    HostRecord& first = r.add("first", 0);
    for (int i = 0; i < 5000; ++i)
        r.add("h" + std::to_string(i), i);
    CHECK(r.find("first") == &first);
    CHECK(first.name == "first");
    r.remove(first);
    CHECK(r.find("first") == nullptr);
    CHECK(r.size() == 5000);
}

TEST_CASE("hosts known at once have distinct indexes, and a freed one goes to the next host",
          "[registry]") {
    Registry r;
    HostRecord& a = r.add("a", 0);
    HostRecord& b = r.add("b", 0);
    CHECK(a.liveness.host_id != b.liveness.host_id);
    const std::uint32_t freed = a.liveness.host_id;
    r.remove(a);
    HostRecord& c = r.add("c", 0);
    CHECK(c.liveness.host_id == freed);
    CHECK(&r.at(freed) == &c);
    CHECK(&r.at(b.liveness.host_id) == &b);
    HostRecord& d = r.add("d", 0);
    CHECK(d.liveness.host_id != freed);
    CHECK(d.liveness.host_id != b.liveness.host_id);
    CHECK(&r.at(d.liveness.host_id) == &d);
}
