// A UDP socket in an integration test that plays a beat_server for the real beat_client: it
// receives the agent's beats and sends control datagrams back (docs/datagram.md, "Control
// datagrams"). Header-only: it fails the running Catch test when a socket call fails.
#pragma once

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/control.hpp"
#include "common/wire.hpp"
#include "tests/integration/harness.hpp"

namespace beat::test {

// A UDP socket on 127.0.0.1 that plays a beat_server: it receives what agents send and sends
// control datagrams back to where they came from.
class FakeServer {
  public:
    FakeServer() {
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        port_ = local_port(fd_);
    }
    FakeServer(const FakeServer&) = delete;
    FakeServer& operator=(const FakeServer&) = delete;
    ~FakeServer() { ::close(fd_); }

    std::string endpoint() const { return loopback_endpoint(port_); }

    // The next datagram, or nullopt when none comes within `timeout`; remembers its sender.
    std::optional<std::string> receive(std::chrono::milliseconds timeout = 5s) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
        char buf[2048];
        socklen_t len = sizeof peer_;
        const ssize_t n =
            ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&peer_), &len);
        if (n < 0) return std::nullopt;
        return std::string(buf, static_cast<std::size_t>(n));
    }

    // The next beat (skipping answers), decoded into `hb`; fails the test when none comes.
    std::string receive_beat(HeartbeatView& hb) {
        const auto deadline = Clock::now() + 5s;
        while (Clock::now() < deadline) {
            auto d = receive(100ms);
            if (!d || is_control(*d)) continue;
            beat_ = std::move(*d);
            REQUIRE(decode_heartbeat(beat_, hb) == DecodeError::ok);
            return beat_;
        }
        FAIL("no beat arrived within 5 s");
        return {};
    }

    // The next answer (skipping beats), or nullopt when none comes within `timeout`.
    std::optional<std::string> receive_answer(std::chrono::milliseconds timeout = 5s) {
        const auto deadline = Clock::now() + timeout;
        while (Clock::now() < deadline) {
            auto d = receive(10ms);
            if (d && is_control(*d)) return d;
        }
        return std::nullopt;
    }

    // Sends `bytes` to whoever sent the last datagram received.
    void reply(std::string_view bytes) {
        REQUIRE(::sendto(fd_, bytes.data(), bytes.size(), 0,
                         reinterpret_cast<const sockaddr*>(&peer_),
                         sizeof peer_) == static_cast<ssize_t>(bytes.size()));
    }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
    sockaddr_in peer_{};
    std::string beat_;
};

// A control datagram of `type` about the agent run of `hb`, carrying `number`, at the time now.
inline std::string control(ControlType type, const HeartbeatView& hb, std::uint64_t number,
                           const Key* key = nullptr) {
    Control c;
    c.type = type;
    c.host = hb.host;
    c.incarnation = hb.incarnation;
    c.number = number;
    c.time_ms = unix_now_ms();
    std::string out;
    encode_control(c, key, out);
    return out;
}

}  // namespace beat::test
