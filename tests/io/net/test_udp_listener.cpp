// UdpListener: a socket that cannot be bound is closed before the constructor throws, and a
// listener closes its socket when destroyed.
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include "beat_server/io/net/udp_listener.hpp"
#include "common/uv/uv_error.hpp"
#include "tests/integration/harness.hpp"
#include "tests/io/loop_fixture.hpp"
#include "tests/io/monitor_fixture.hpp"

using namespace beat;
using namespace beat::test;

TEST_CASE("a UDP listener whose port is taken throws and leaves no handle open", "[udp_listener]") {
    TestLoop loop;
    MonitorFixture ingest;
    const TakenPort taken(SOCK_DGRAM);
    CHECK_THROWS_WITH(
        UdpListener(loop.get(), Endpoint{"127.0.0.1", taken.port()}, 1 << 20, ingest.monitor, {}),
        Catch::Contains("cannot bind UDP 127.0.0.1:") && Catch::Contains("address already in use"));
    CHECK(loop.closes_with_no_handle_open());
}

TEST_CASE("a UDP listener destroyed without close() leaves no handle open", "[udp_listener]") {
    TestLoop loop;
    MonitorFixture ingest;
    {
        UdpListener udp(loop.get(), Endpoint{"127.0.0.1", 0}, 1 << 20, ingest.monitor, {});
        CHECK(udp.bound().starts_with("127.0.0.1:"));
    }
    CHECK(loop.closes_with_no_handle_open());
}
