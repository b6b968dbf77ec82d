// beat_client run as systemd runs it: NOTIFY_SOCKET and WATCHDOG_USEC in its environment, with this
// test in systemd's place on an AF_UNIX datagram socket.
#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <string>

#include "tests/integration/harness.hpp"

using namespace beat::test;

namespace {

// The socket systemd listens on, in a temporary directory.
class NotifySocket {
  public:
    NotifySocket() : path_(dir_.path() + "/notify") {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
        REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;
    ~NotifySocket() { ::close(fd_); }

    const std::string& path() const { return path_; }

    // The next datagram, or nullopt when none comes within `timeout`.
    std::optional<std::string> next(std::chrono::milliseconds timeout = 5s) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
        char buf[4096];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n < 0) return std::nullopt;
        return std::string(buf, static_cast<std::size_t>(n));
    }

  private:
    TempDir dir_;
    std::string path_;
    int fd_ = -1;
};

// Sets an environment variable for one scope; the processes started meanwhile inherit it.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, const std::string& value) : name_(name) {
        ::setenv(name, value.c_str(), 1);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;
    ~ScopedEnv() { ::unsetenv(name_); }

  private:
    const char* name_;
};

}  // namespace

TEST_CASE(
    "beat_client run tells systemd READY=1, pings the watchdog and says STOPPING=1 on SIGTERM",
    "[systemd]") {
    NotifySocket notify;
    std::unique_ptr<Process> agent;
    {
        ScopedEnv socket("NOTIFY_SOCKET", notify.path());
        // 200 ms: a ping every 100 ms. WATCHDOG_PID is left out, as systemd may leave it out.
        ScopedEnv watchdog("WATCHDOG_USEC", "200000");
        agent = std::make_unique<Process>(std::vector<std::string>{
            client_bin(), "run", "--server", "127.0.0.1:9", "--interval", "1", "--host", "unit"});
    }
    const auto ready = notify.next();
    REQUIRE(ready);
    CHECK(ready->rfind("READY=1\nSTATUS=beating host=unit", 0) == 0);
    for (int i = 0; i < 3; ++i)
        CHECK(notify.next() == "WATCHDOG=1");

    agent->signal(SIGTERM);
    std::optional<std::string> got;
    while ((got = notify.next()) == "WATCHDOG=1") {
    }
    CHECK(got == "STOPPING=1");
    CHECK(agent->wait_exit() == 0);
}
