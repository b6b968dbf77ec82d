// UdpListener: a socket that cannot be bound is closed before the constructor throws, and a
// listener closes its socket when destroyed; what the monitor sends leaves from the listening
// port, and the listener tells whether datagrams wait unread.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <chrono>
#include <string>

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

namespace {

// The port of "127.0.0.1:PORT".
std::uint16_t port_of(const std::string& bound) {
    return static_cast<std::uint16_t>(std::stoul(bound.substr(bound.rfind(':') + 1)));
}

SourceAddress loopback_address(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return SourceAddress(reinterpret_cast<const sockaddr*>(&a));
}

}  // namespace

TEST_CASE("a UDP listener sends from its listening port and counts what it cannot send",
          "[udp_listener]") {
    TestLoop loop;
    MonitorFixture ingest;
    UdpSocket agent;
    {
        UdpListener udp(loop.get(), Endpoint{"127.0.0.1", 0}, 1 << 20, ingest.monitor, {});
        udp.send("BCTL ack", loopback_address(agent.port()));
        const auto got = agent.receive(std::chrono::seconds(5));
        REQUIRE(got);
        CHECK(got->first == "BCTL ack");
        CHECK(got->second == port_of(udp.bound()));
        CHECK(udp.sends_failed() == 0);
        udp.close();
        udp.send("BCTL ack", loopback_address(agent.port()));
        CHECK(udp.sends_failed() == 1);
    }
    CHECK(loop.closes_with_no_handle_open());
}

TEST_CASE("a UDP listener says whether datagrams wait unread until the loop has read them",
          "[udp_listener]") {
    TestLoop loop;
    MonitorFixture ingest;
    UdpSocket agent;
    {
        UdpListener udp(loop.get(), Endpoint{"127.0.0.1", 0}, 1 << 20, ingest.monitor, {});
        CHECK_FALSE(udp.datagrams_pending());
        agent.send_to(port_of(udp.bound()), "not a beat");
        // Loopback delivers at once: the datagram is queued by the time sendto returns.
        CHECK(udp.datagrams_pending());
        for (int i = 0; i < 100 && ingest.monitor.stats().datagrams == 0; ++i)
            uv_run(loop.get(), UV_RUN_NOWAIT);
        CHECK(ingest.monitor.stats().datagrams == 1);
        CHECK_FALSE(udp.datagrams_pending());
    }
    CHECK(loop.closes_with_no_handle_open());
}
