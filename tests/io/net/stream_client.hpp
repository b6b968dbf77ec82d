// A client of the stream servers on a test loop: a non-blocking socket the test reads as the
// loop runs.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "tests/io/loop_fixture.hpp"

namespace beat::test {

// A non-blocking client socket connected to 127.0.0.1:`port`, its receive buffer at `rcvbuf`
// bytes when not 0 (so that it holds little of a reply it does not read).
class Client {
  public:
    Client(std::uint16_t port, int rcvbuf = 0) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        if (fd_ < 0) throw std::runtime_error("socket failed");
        if (rcvbuf != 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        // The kernel completes a loopback connection to a listening socket before accept().
        if (::connect(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
            throw std::runtime_error("connect failed");
        }
        ::fcntl(fd_, F_SETFL, O_NONBLOCK);
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;
    ~Client() { ::close(fd_); }

    void send(std::string_view bytes) {
        REQUIRE(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(bytes.size()));
    }
    // Appends to received() what the socket holds now; false when it held nothing.
    bool read_some() {
        char buf[64 * 1024];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) return false;
        received_.append(buf, static_cast<std::size_t>(n));
        return true;
    }
    // Sends what the socket takes now of `bytes`; returns how many it took.
    std::size_t send_some(std::string_view bytes) {
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        return n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    // Sends the end of the stream: the client will send nothing more.
    void shut_write() { REQUIRE(::shutdown(fd_, SHUT_WR) == 0); }
    const std::string& received() const noexcept { return received_; }
    int fd() const noexcept { return fd_; }

  private:
    int fd_;
    std::string received_;
};

inline std::uint16_t port_of(const std::string& bound) {
    return static_cast<std::uint16_t>(std::stoi(bound.substr(bound.rfind(':') + 1)));
}

// Whether the server closed `c`: read what the socket holds, and it then reads end of file (or
// a reset, which a server closing with bytes unread sends).
inline bool closed_by_server(Client& c) {
    while (c.read_some()) {
    }
    char byte;
    const ssize_t n = ::recv(c.fd(), &byte, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

// Runs the loop without blocking until `c` has received `size` bytes, reading what arrives;
// false when that takes more than `max_iterations`.
inline bool receive(TestLoop& loop, Client& c, std::size_t size, int max_iterations = 1'000'000) {
    for (int i = 0; i < max_iterations && c.received().size() < size; ++i) {
        uv_run(loop.get(), UV_RUN_NOWAIT);
        while (c.read_some()) {
        }
    }
    return c.received().size() >= size;
}

// Runs the loop without blocking until the server has closed `c`; false when that takes more
// than `max_iterations`.
inline bool wait_closed(TestLoop& loop, Client& c, int max_iterations = 1'000'000) {
    for (int i = 0; i < max_iterations; ++i) {
        uv_run(loop.get(), UV_RUN_NOWAIT);
        if (closed_by_server(c)) return true;
    }
    return false;
}

}  // namespace beat::test
