#include <catch2/catch.hpp>

#include "beat_server/core/sql/host_row.hpp"

using namespace beat;

TEST_CASE("a host's row says its state, when it was last seen in Unix time and its counters",
          "[host_row]") {
    Registry registry;
    HostRecord& h = registry.add("alpha", 1'000);
    h.last_seen_ms = 2'500;
    h.interval_ms = 1'000;
    h.beats = 7;
    h.lost = 1;
    h.liveness.state = HostState::up;
    const HostRow row = host_row(h, 1'700'000'000'000);
    CHECK(row.host == "alpha");
    CHECK(row.state == "up");
    CHECK(row.last_seen_unix_ms == 1'700'000'002'500);
    CHECK(row.detail == R"({"interval_ms":1000,"beats":7,"lost":1,"restarts":0,"duplicates":0})");
    h.liveness.state = HostState::silent;
    CHECK(host_row(h, 0).state == "silent");
    h.legacy = true;  // A PyHeartBeat host: its beats are not numbered, its loss unknown.
    CHECK(host_row(h, 0).detail ==
          R"({"interval_ms":1000,"beats":7,"lost":null,"restarts":0,"duplicates":0})");
}
