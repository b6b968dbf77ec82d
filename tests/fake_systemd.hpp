// systemd's side of Type=notify for tests: the AF_UNIX datagram socket a service reports to, and
// the environment variables (NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID) that name it.
#pragma once

#include <catch2/catch.hpp>

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace beat::test {

// Sets (or, with nullopt, unsets) an environment variable for one scope; processes started
// meanwhile inherit it.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value) {
            ::setenv(name, value->c_str(), 1);
        } else {
            ::unsetenv(name);
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;
    ~ScopedEnv() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }

  private:
    const char* name_;
    std::optional<std::string> old_;
};

// The notify socket, bound in a fresh temporary directory that is removed with it.
class NotifySocket {
  public:
    NotifySocket() {
        char dir[] = "/tmp/beat-notify-XXXXXX";
        REQUIRE(::mkdtemp(dir) != nullptr);
        dir_ = dir;
        path_ = dir_ + "/notify";
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
        REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;
    ~NotifySocket() {
        ::close(fd_);
        ::unlink(path_.c_str());
        ::rmdir(dir_.c_str());
    }

    const std::string& path() const { return path_; }
    int fd() const { return fd_; }

    // Every datagram queued so far, oldest first; does not wait.
    std::vector<std::string> drain() const {
        std::vector<std::string> out;
        while (auto d = receive())
            out.push_back(std::move(*d));
        return out;
    }

    // The next datagram, or nullopt when none comes within `timeout`.
    std::optional<std::string> next(std::chrono::milliseconds timeout) const {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
        return receive();
    }

  private:
    std::optional<std::string> receive() const {
        char buf[4096];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n < 0) return std::nullopt;
        return std::string(buf, static_cast<std::size_t>(n));
    }

    std::string dir_;
    std::string path_;
    int fd_ = -1;
};

}  // namespace beat::test
