#include <catch2/catch.hpp>

#include "beat_server/core/ingest/registry.hpp"

using namespace beat;

TEST_CASE("a host added to the registry is found by name and points back at itself", "[registry]") {
    Registry r;
    HostRecord& h = r.add("web-1", 1234);
    CHECK(h.name == "web-1");
    CHECK(h.first_seen_ms == 1234);
    CHECK(h.liveness.owner == &h);
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
