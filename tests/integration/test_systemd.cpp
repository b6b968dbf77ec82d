// beat_client run as systemd runs it: NOTIFY_SOCKET and WATCHDOG_USEC in its environment, with this
// test in systemd's place on an AF_UNIX datagram socket.
#include <catch2/catch.hpp>

#include <signal.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/fake_systemd.hpp"
#include "tests/integration/harness.hpp"

using namespace beat::test;

TEST_CASE(
    "beat_client run tells systemd READY=1, pings the watchdog and says STOPPING=1 on SIGTERM",
    "[systemd]") {
    NotifySocket notify;
    std::unique_ptr<Process> agent;
    {
        ScopedEnv socket("NOTIFY_SOCKET", notify.path());
        // 200 ms: a ping every 100 ms. Without WATCHDOG_PID the watchdog is the agent's, not ours.
        ScopedEnv watchdog("WATCHDOG_USEC", "200000");
        agent = std::make_unique<Process>(std::vector<std::string>{
            client_bin(), "run", "--server", "127.0.0.1:9", "--interval", "1", "--host", "unit"});
    }
    const auto ready = notify.next(5s);
    REQUIRE(ready);
    CHECK(ready->rfind("READY=1\nSTATUS=beating host=unit", 0) == 0);
    for (int i = 0; i < 3; ++i)
        CHECK(notify.next(5s) == "WATCHDOG=1");

    agent->signal(SIGTERM);
    std::optional<std::string> got;
    while ((got = notify.next(5s)) == "WATCHDOG=1") {
    }
    CHECK(got == "STOPPING=1");
    CHECK(agent->wait_exit() == 0);
}

TEST_CASE("beat_server tells systemd READY=1 once listening and STOPPING=1 on SIGTERM",
          "[systemd]") {
    NotifySocket notify;
    std::unique_ptr<Process> server;
    {
        ScopedEnv socket("NOTIFY_SOCKET", notify.path());
        ScopedEnv watchdog("WATCHDOG_USEC", "200000");
        server = std::make_unique<Process>(
            std::vector<std::string>{server_bin(), "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0",
                                     "--tcp", "127.0.0.1:0", "--durability", "off"});
    }
    const auto ready = notify.next(10s);
    REQUIRE(ready);
    CHECK(ready->rfind("READY=1\nSTATUS=listening udp=127.0.0.1:", 0) == 0);
    // READY=1 comes after the listening line: the ports are bound by then.
    CHECK(server->wait_for_line("listening ", 1s));
    CHECK(notify.next(5s) == "WATCHDOG=1");

    server->signal(SIGTERM);
    std::optional<std::string> got;
    while ((got = notify.next(5s)) == "WATCHDOG=1") {
    }
    CHECK(got == "STOPPING=1");
    CHECK(server->wait_exit() == 0);
}
