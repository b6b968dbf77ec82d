// The TCP side-port's limits on its clients, against the real server: connections per address
// and the idle timeout.
#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

#include "tests/integration/harness.hpp"

using namespace beat::test;

namespace {

// The moment `c`'s server closed it (reading and dropping whatever came first), or nullopt when
// it was still open at `deadline`.
std::optional<Clock::time_point> closed_by(TcpConn& c, Clock::time_point deadline) {
    try {
        c.read_until_closed(std::chrono::duration_cast<std::chrono::milliseconds>(
            std::max(deadline - Clock::now(), Clock::duration::zero())));
    } catch (const std::runtime_error&) {
        return std::nullopt;
    }
    return Clock::now();
}

// The loop's millisecond clock may trail the real time by a clock tick: a deadline of `timeout`
// is never met sooner than this as seen from outside.
constexpr auto kClockSlack = 10ms;

}  // namespace

TEST_CASE("connections from one address beyond the per-address limit are closed at once",
          "[server][tcp_limits]") {
    Server s = start_server({"--max-connections-per-address", "3"});
    std::vector<std::unique_ptr<TcpConn>> open;
    for (int i = 0; i < 3; ++i) {
        open.push_back(std::make_unique<TcpConn>(s.tcp_port));
        open.back()->send("get *\n");
        CHECK(open.back()->read_replies(1) == "ok\n\n");
    }
    // Two more: each is closed without a reply, and the first is logged with its address.
    for (int i = 0; i < 2; ++i) {
        TcpConn extra(s.tcp_port);
        CHECK(extra.read_until_closed().empty());
    }
    const auto logged = s.proc->wait_for_line("tcp per-address connection limit reached");
    REQUIRE(logged);
    CHECK(field(*logged, "address") == "127.0.0.1");
    CHECK(field(*logged, "max_connections_per_address") == "3");

    // The connections inside the limit are still served.
    for (auto& c : open) {
        c->send("get *\n");
        CHECK(c->read_replies(1) == "ok\n\n");
    }
    // Once one of them closes, a new connection is let in (the server may take a moment to see
    // the close).
    open.pop_back();
    bool admitted = false;
    for (const auto deadline = Clock::now() + 5s; !admitted && Clock::now() < deadline;) {
        TcpConn next(s.tcp_port);
        next.send("get *\n");
        try {
            admitted = next.read_replies(1, 1s) == "ok\n\n";
        } catch (const std::runtime_error&) {
        }
    }
    CHECK(admitted);

    // Logged once a minute per address, not once per refusal.
    s.proc->signal(SIGTERM);
    REQUIRE(s.proc->wait_exit() == 0);
    int lines = 0;
    for (const auto& l : s.proc->lines())
        lines += l.find("tcp per-address connection limit reached") != std::string::npos;
    CHECK(lines == 1);
}

TEST_CASE("a connection that sends nothing is closed after the idle timeout, not before",
          "[server][tcp_limits]") {
    Server s = start_server({"--tcp-idle-timeout", "1", "--log-level", "debug"});
    const auto before = Clock::now();
    TcpConn c(s.tcp_port);
    const auto closed = closed_by(c, before + 3s);
    REQUIRE(closed);
    CHECK(*closed - before >= 1s - kClockSlack);
    CHECK(*closed - before < 1500ms);
    CHECK(s.proc->wait_for_line("tcp connection idle"));
}

TEST_CASE("a connection sending a line one byte at a time is closed after the idle timeout",
          "[server][tcp_limits]") {
    Server s = start_server({"--tcp-idle-timeout", "1", "--log-level", "debug"});
    const auto before = Clock::now();
    TcpConn c(s.tcp_port);
    const std::string line = "get " + std::string(200, 'k');
    std::optional<Clock::time_point> closed;
    // One byte every 100 ms: the bytes keep coming, but no request is ever complete.
    for (std::size_t i = 0; i < line.size() && !closed && Clock::now() < before + 3s; ++i) {
        if (::send(c.fd(), &line[i], 1, MSG_NOSIGNAL) != 1) break;
        closed = closed_by(c, Clock::now() + 100ms);
    }
    if (!closed) closed = closed_by(c, before + 3s);
    REQUIRE(closed);
    CHECK(*closed - before >= 1s - kClockSlack);
    CHECK(*closed - before < 1500ms);
}

TEST_CASE("a client that sends a request within each idle timeout stays connected",
          "[server][tcp_limits]") {
    Server s = start_server({"--tcp-idle-timeout", "0.5"});
    TcpConn c(s.tcp_port);
    // Eight requests 200 ms apart: 1.6 s in all, three idle timeouts.
    for (int i = 0; i < 8; ++i) {
        c.send("get *\n");
        CHECK(c.read_replies(1) == "ok\n\n");
        pollfd p{c.fd(), POLLIN, 0};
        CHECK(::poll(&p, 1, 200) == 0);  // Nothing arrives, not even the server's close.
    }
    c.send("put k 1 1\n");
    CHECK(c.read_replies(1) == "ok\n\n");
}

TEST_CASE("a client that never reads its replies is closed after the idle timeout",
          "[server][tcp_limits]") {
    Server s = start_server({"--tcp-idle-timeout", "1", "--log-level", "debug"});
    // About 250 KiB per "get *" reply.
    std::string fill;
    for (int i = 0; i < 10'000; ++i)
        fill +=
            "put a.fairly.long.key." + std::to_string(i % 40) + " 1.5 " + std::to_string(i) + "\n";
    {
        TcpConn writer(s.tcp_port);
        writer.send(fill);
        writer.read_replies(10'000);
    }
    TcpConn hog(s.tcp_port);
    int buf = 64 * 1024;
    setsockopt(hog.fd(), SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    std::string many;
    for (int i = 0; i < 2000; ++i)
        many += "get *\n";
    // The hog's first request is handled after this moment, so its idle clock starts later.
    const auto started = Clock::now();
    send_what_fits(hog.fd(), many);
    const std::string peer = "peer=127.0.0.1:" + std::to_string(local_port(hog.fd())) + " ";
    const auto idle = s.proc->wait_for_line_at("tcp connection idle " + peer, 5s);
    REQUIRE(idle);
    CHECK(idle->second - started >= 1s - kClockSlack);
    // Others are served meanwhile and after.
    CHECK(tcp_request(s.tcp_port, "get a.fairly.long.key.1\n").rfind("ok\n", 0) == 0);
}
