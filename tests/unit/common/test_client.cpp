#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/client.hpp"
#include "tests/client_error.hpp"

using namespace beat;
using beat::test::client_error;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

using Clock = std::chrono::steady_clock;

// How long a scripted server waits for anything before it gives up; tests never get near it.
constexpr auto kPatience = 5s;

int poll_ms(Clock::time_point deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits until `fd` is readable or `deadline` passes; true when readable.
bool readable_by(int fd, Clock::time_point deadline) {
    while (true) {
        pollfd p{fd, POLLIN, 0};
        const int rc = ::poll(&p, 1, poll_ms(deadline));
        if (rc > 0) return true;
        if (rc == 0 || errno != EINTR) return false;
    }
}

// A TCP socket bound to port 0 on the loopback address of `family`, listening when `listen` is
// set. Invalid (fd < 0) when the family is not available here.
struct LoopbackSocket {
    int fd = -1;
    std::uint16_t port = 0;

    LoopbackSocket(int family, bool listen, int backlog = 16) {
        fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return;
        sockaddr_storage ss{};
        socklen_t len = 0;
        if (family == AF_INET6) {
            auto& a = reinterpret_cast<sockaddr_in6&>(ss);
            a.sin6_family = AF_INET6;
            a.sin6_addr = in6addr_loopback;
            len = sizeof a;
        } else {
            auto& a = reinterpret_cast<sockaddr_in&>(ss);
            a.sin_family = AF_INET;
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            len = sizeof a;
        }
        if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
            (listen && ::listen(fd, backlog) != 0) ||
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
            ::close(fd);
            fd = -1;
            return;
        }
        port = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(ss).sin6_port
                                        : reinterpret_cast<sockaddr_in&>(ss).sin_port);
    }
    ~LoopbackSocket() {
        if (fd >= 0) ::close(fd);
    }
    LoopbackSocket(const LoopbackSocket&) = delete;
    LoopbackSocket& operator=(const LoopbackSocket&) = delete;
};

// The server's side of one accepted connection, as a script sees it. Every wait is bounded.
class Peer {
  public:
    explicit Peer(int fd) : fd_(fd) {
        const int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    ~Peer() { close(); }

    // Reads one request line (without '\n') and records it; nullopt when the client closed the
    // connection or nothing came in time.
    std::optional<std::string> read_line() {
        const auto deadline = Clock::now() + kPatience;
        while (true) {
            if (const auto nl = buf_.find('\n'); nl != std::string::npos) {
                std::string line = buf_.substr(0, nl);
                buf_.erase(0, nl + 1);
                lines.push_back(line);
                return line;
            }
            if (fd_ < 0 || !readable_by(fd_, deadline)) return std::nullopt;
            char chunk[4096];
            const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
            if (n <= 0) return std::nullopt;
            buf_.append(chunk, static_cast<std::size_t>(n));
        }
    }

    void send(std::string_view bytes) {
        while (fd_ >= 0 && !bytes.empty()) {
            const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0) return;
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    // Sends `bytes` one byte per segment.
    void send_bytewise(std::string_view bytes) {
        for (char c : bytes)
            send(std::string_view(&c, 1));
    }

    // Returns once the client has closed its end (or after kPatience).
    void wait_for_close() {
        const auto deadline = Clock::now() + kPatience;
        char chunk[4096];
        while (fd_ >= 0 && readable_by(fd_, deadline)) {
            if (::recv(fd_, chunk, sizeof chunk, 0) <= 0) return;
        }
    }

    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

    std::vector<std::string> lines;  // Every request line read so far.

  private:
    int fd_;
    std::string buf_;
};

// A server on the loopback address that accepts one connection and runs `script` on it on its own
// thread. requests() joins the thread and returns the request lines the script read.
class ScriptedServer {
  public:
    explicit ScriptedServer(std::function<void(Peer&)> script, int family = AF_INET)
        : listener_(family, true) {
        if (listener_.fd < 0) return;
        thread_ = std::thread([this, script = std::move(script)] {
            if (!readable_by(listener_.fd, Clock::now() + kPatience)) return;
            const int fd = ::accept4(listener_.fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) return;
            Peer peer(fd);
            script(peer);
            lines_ = std::move(peer.lines);
        });
    }
    ~ScriptedServer() {
        if (thread_.joinable()) thread_.join();
    }

    bool ok() const { return listener_.fd >= 0; }
    std::uint16_t port() const { return listener_.port; }

    std::vector<std::string> requests() {
        if (thread_.joinable()) thread_.join();
        return lines_;
    }

  private:
    LoopbackSocket listener_;
    std::thread thread_;
    std::vector<std::string> lines_;
};

Client connect_to(const ScriptedServer& server, std::chrono::milliseconds timeout = 2000ms) {
    return Client("127.0.0.1", server.port(), timeout);
}

}  // namespace

TEST_CASE("put sends one request line and accepts an empty ok reply", "[client]") {
    ScriptedServer server([](Peer& p) {
        p.read_line();
        p.send("ok\n\n");
    });
    Client client = connect_to(server);
    client.put("cpu", 10, 1'700'000'000);
    CHECK(server.requests() == std::vector<std::string>{"put cpu 10.0 1700000000"});
}

TEST_CASE("put writes values the way the protocol prints them", "[client]") {
    ScriptedServer server([](Peer& p) {
        for (int i = 0; i < 4; ++i) {
            p.read_line();
            p.send("ok\n\n");
        }
    });
    Client client = connect_to(server);
    client.put("a", 0.25, 1);
    client.put("a", 1e16, -2);
    client.put("a", -0.0, 0);
    client.put("a.b-c_d", 1.0 / 3, 9'223'372'036'854'775'807);
    CHECK(server.requests() == std::vector<std::string>{
                                   "put a 0.25 1",
                                   "put a 1e+16 -2",
                                   "put a -0.0 0",
                                   "put a.b-c_d 0.3333333333333333 9223372036854775807",
                               });
}

TEST_CASE("put without a timestamp sends the current time in seconds", "[client]") {
    ScriptedServer server([](Peer& p) {
        p.read_line();
        p.send("ok\n\n");
    });
    Client client = connect_to(server);
    const auto now = [] {
        return std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    };
    const std::int64_t before = now();
    client.put("mem", 1.5);
    const std::int64_t after = now();
    const auto lines = server.requests();
    REQUIRE(lines.size() == 1);
    const std::string prefix = "put mem 1.5 ";
    REQUIRE(lines[0].starts_with(prefix));
    const std::int64_t sent = std::stoll(lines[0].substr(prefix.size()));
    CHECK(sent >= before);
    CHECK(sent <= after);
}

TEST_CASE("get returns each key's points sorted by timestamp", "[client]") {
    ScriptedServer server([](Peer& p) {
        p.read_line();
        p.send("ok\ncpu 3.0 30\nmem 1.0 5\ncpu 1.0 10\ncpu 2.0 20\n\n");
    });
    Client client = connect_to(server);
    const SeriesMap got = client.get("*");
    CHECK(server.requests() == std::vector<std::string>{"get *"});
    CHECK(got == SeriesMap{{"cpu", {{10, 1.0}, {20, 2.0}, {30, 3.0}}}, {"mem", {{5, 1.0}}}});
}

TEST_CASE("get of a key without points returns an empty map", "[client]") {
    ScriptedServer server([](Peer& p) {
        p.read_line();
        p.send("ok\n\n");
    });
    Client client = connect_to(server);
    CHECK(client.get("nothing").empty());
    CHECK(server.requests() == std::vector<std::string>{"get nothing"});
}

TEST_CASE("a reply that arrives one byte at a time is read whole", "[client]") {
    ScriptedServer server([](Peer& p) {
        p.read_line();
        p.send_bytewise("ok\ncpu 0.5 1\ncpu 1e+16 2\n\n");
        p.read_line();
        p.send_bytewise("error\nwrong command\n\n");
        p.read_line();
        p.send_bytewise("ok\n\n");
    });
    Client client = connect_to(server);
    CHECK(client.get("cpu") == SeriesMap{{"cpu", {{1, 0.5}, {2, 1e16}}}});
    CHECK_THAT(client_error([&] { client.get("cpu"); }), Contains("wrong command"));
    client.put("cpu", 2, 3);
    CHECK(server.requests().size() == 3);
}

TEST_CASE("two replies in one packet answer two requests in turn", "[client]") {
    ScriptedServer server([](Peer& p) {
        p.read_line();
        p.send("ok\n\nok\nk 2.0 7\n\n");
        p.read_line();
        // The third reply starts in the same packet as nothing else and ends in a later one.
        p.send("ok\nk 3.0");
        p.send(" 8\n\n");
        p.read_line();
    });
    Client client = connect_to(server);
    client.put("k", 2, 7);
    CHECK(client.get("k") == SeriesMap{{"k", {{7, 2.0}}}});
    CHECK(client.get("k") == SeriesMap{{"k", {{8, 3.0}}}});
    CHECK(server.requests() == std::vector<std::string>{"put k 2.0 7", "get k", "get k"});
}

TEST_CASE("a long reply in many pieces is read whole", "[client]") {
    constexpr int kPoints = 50'000;
    ScriptedServer server([](Peer& p) {
        p.read_line();
        std::string reply = "ok\n";
        for (int i = kPoints; i > 0; --i)
            reply += "series " + std::to_string(i) + ".5 " + std::to_string(i) + "\n";
        reply += "\n";
        for (std::size_t at = 0; at < reply.size(); at += 1000)
            p.send(std::string_view(reply).substr(at, 1000));
    });
    Client client = connect_to(server);
    const SeriesMap got = client.get("series");
    REQUIRE(got.size() == 1);
    const Points& points = got.at("series");
    REQUIRE(points.size() == kPoints);
    CHECK(points.front() == std::pair<std::int64_t, double>{1, 1.5});
    CHECK(points.back() == std::pair<std::int64_t, double>{kPoints, kPoints + 0.5});
}

TEST_CASE("an error reply throws with the server's reason and keeps the connection", "[client]") {
    ScriptedServer server([](Peer& p) {
        p.read_line();
        p.send("error\nwrong command\n\n");
        p.read_line();
        p.send("error\ntoo many series (limit 1000)\n\n");
        p.read_line();
        p.send("ok\n\n");
    });
    Client client = connect_to(server);
    const std::string first = client_error([&] { client.put("a b", 1, 1); });
    CHECK_THAT(first, Contains("wrong command"));
    CHECK_THAT(first, Contains("127.0.0.1:"));
    CHECK_THAT(client_error([&] { client.put("x", 1, 1); }), Contains("limit 1000"));
    CHECK(client.connected());
    client.put("x", 1, 2);
    CHECK(server.requests() ==
          std::vector<std::string>{"put a b 1.0 1", "put x 1.0 1", "put x 1.0 2"});
}

TEST_CASE("a garbage reply throws and closes the connection", "[client]") {
    ScriptedServer server([](Peer& p) {
        p.read_line();
        p.send("hello there\n");
        p.wait_for_close();
    });
    Client client = connect_to(server);
    const std::string message = client_error([&] { client.get("k"); });
    CHECK_THAT(message, Contains("unparseable reply"));
    CHECK_THAT(message, Contains("hello there"));
    CHECK_FALSE(client.connected());
    CHECK_THAT(client_error([&] { client.get("k"); }), Contains("not connected"));
    CHECK_THAT(client_error([&] { client.get("k"); }), Contains("hello there"));
}

TEST_CASE("an ok reply with a bad point line throws", "[client]") {
    const char* bad = GENERATE("ok\nk nan 1\n\n", "ok\nk 1.0 1.5\n\n", "ok\nk 1.0\n\n",
                               "ok\nk 1.0 1 extra\n\n", "error\nno blank line\nok\n");
    ScriptedServer server([bad](Peer& p) {
        p.read_line();
        p.send(bad);
        p.wait_for_close();
    });
    Client client = connect_to(server);
    CHECK_THAT(client_error([&] { client.get("k"); }), Contains("unparseable reply"));
}

TEST_CASE("a reply line over the line limit throws before the timeout", "[client]") {
    ScriptedServer server([](Peer& p) {
        p.read_line();
        p.send("ok\n" + std::string(70'000, 'x'));
        p.wait_for_close();
    });
    Client client = connect_to(server, 5000ms);
    const auto start = Clock::now();
    CHECK_THAT(client_error([&] { client.get("k"); }), Contains("too long"));
    CHECK(Clock::now() - start < 4s);
}

TEST_CASE("a server that closes the connection makes the request throw", "[client]") {
    ScriptedServer server([](Peer& p) {
        p.read_line();
        p.close();
    });
    Client client = connect_to(server);
    CHECK_THAT(client_error([&] { client.put("k", 1, 1); }), Contains("closed the connection"));
    CHECK_FALSE(client.connected());
}

TEST_CASE("a server that closes in the middle of a reply makes the request throw", "[client]") {
    ScriptedServer server([](Peer& p) {
        p.read_line();
        p.send("ok\nk 1.0");
        p.close();
    });
    Client client = connect_to(server);
    CHECK_THAT(client_error([&] { client.get("k"); }), Contains("in the middle of a reply"));
}

TEST_CASE("a server that never answers makes the request time out", "[client]") {
    ScriptedServer server([](Peer& p) {
        p.read_line();
        p.wait_for_close();
    });
    Client client = connect_to(server, 200ms);
    const auto start = Clock::now();
    const std::string message = client_error([&] { client.get("k"); });
    const auto elapsed = Clock::now() - start;
    CHECK_THAT(message, Contains("timed out after 200 ms"));
    CHECK(elapsed >= 200ms);
    CHECK(elapsed < 3s);
    CHECK_FALSE(client.connected());
}

TEST_CASE("a refused connection throws from the constructor", "[client]") {
    // Bound but not listening: connecting to it is refused, and nothing else can take the port.
    LoopbackSocket closed_port(AF_INET, false);
    REQUIRE(closed_port.fd >= 0);
    const std::string message =
        client_error([&] { Client("127.0.0.1", closed_port.port, 1000ms); });
    CHECK_THAT(message, Contains("cannot connect to 127.0.0.1:"));
    CHECK_THAT(message, Contains("refused"));
}

TEST_CASE("a connect that gets no answer times out", "[client]") {
    // A listener whose accept queue is full drops further connection requests unanswered.
    LoopbackSocket listener(AF_INET, true, 0);
    REQUIRE(listener.fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(listener.port);
    std::vector<int> fillers;
    bool full = false;
    while (!full && fillers.size() < 16) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        fillers.push_back(fd);
        ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        pollfd p{fd, POLLOUT, 0};
        full = ::poll(&p, 1, 100) == 0;
    }
    std::optional<std::string> message;
    const auto start = Clock::now();
    if (full) {
        try {
            Client("127.0.0.1", listener.port, 200ms);
        } catch (const ClientError& e) {
            message = e.what();
        }
    }
    const auto elapsed = Clock::now() - start;
    if (message) {
        CHECK_THAT(*message, Contains("timed out"));
        CHECK(elapsed >= 200ms);
        CHECK(elapsed < 3s);
    } else {
        WARN("this network stack answers connections beyond the accept queue");
    }
    for (int fd : fillers)
        ::close(fd);
}

TEST_CASE("a host name that does not resolve throws from the constructor", "[client]") {
    CHECK_THAT(client_error([] { Client("no-such-host.invalid", 8888, 1000ms); }),
               Contains("cannot resolve 'no-such-host.invalid'"));
}

TEST_CASE("a host name is resolved before connecting", "[client]") {
    ScriptedServer server([](Peer& p) {
        p.read_line();
        p.send("ok\n\n");
    });
    Client client("localhost", server.port(), 2000ms);
    client.put("k", 1, 1);
    CHECK(server.requests().size() == 1);
}

TEST_CASE("the client talks to an IPv6 loopback server", "[client]") {
    ScriptedServer server(
        [](Peer& p) {
            p.read_line();
            p.send("ok\nk 1.0 1\n\n");
        },
        AF_INET6);
    if (!server.ok()) {
        WARN("no IPv6 loopback here");
        return;
    }
    Client client("::1", server.port(), 2000ms);
    CHECK(client.get("k") == SeriesMap{{"k", {{1, 1.0}}}});
}

TEST_CASE("a key with a line break is refused without sending anything", "[client]") {
    ScriptedServer server([](Peer& p) {
        p.read_line();
        p.send("ok\n\n");
    });
    Client client = connect_to(server);
    CHECK_THAT(client_error([&] { client.put("a\nget *", 1, 1); }), Contains("line break"));
    CHECK_THAT(client_error([&] { client.get("a\r"); }), Contains("line break"));
    CHECK(client.connected());
    client.get("a");
    CHECK(server.requests() == std::vector<std::string>{"get a"});
}

TEST_CASE("a moved client keeps the connection and the old one refuses requests", "[client]") {
    ScriptedServer server([](Peer& p) {
        p.read_line();
        p.send("ok\n\n");
    });
    Client first = connect_to(server);
    Client second = std::move(first);
    CHECK_FALSE(first.connected());  // NOLINT(bugprone-use-after-move): the moved-from state.
    CHECK_THAT(client_error([&] { first.put("k", 1, 1); }), Contains("not connected"));
    second.put("k", 1, 1);
    CHECK(server.requests() == std::vector<std::string>{"put k 1.0 1"});
}
