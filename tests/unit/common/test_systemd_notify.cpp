#include <catch2/catch.hpp>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "common/uv/systemd_notify.hpp"

using namespace beat;

namespace {

// Sets (or, with nullopt, unsets) an environment variable for one scope.
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

// What systemd listens on: an AF_UNIX datagram socket in a fresh temporary directory.
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

    // Every datagram queued so far, oldest first.
    std::vector<std::string> drain() const {
        std::vector<std::string> out;
        char buf[4096];
        ssize_t n;
        while ((n = ::recv(fd_, buf, sizeof buf, 0)) >= 0)
            out.emplace_back(buf, static_cast<std::size_t>(n));
        return out;
    }

  private:
    std::string dir_;
    std::string path_;
    int fd_ = -1;
};

// Sends what is written to stderr into a temporary file for one scope; text() reads it back.
class CapturedStderr {
  public:
    CapturedStderr() : file_(std::tmpfile()), saved_(::dup(STDERR_FILENO)) {
        REQUIRE(file_ != nullptr);
        REQUIRE(::dup2(::fileno(file_), STDERR_FILENO) >= 0);
    }
    CapturedStderr(const CapturedStderr&) = delete;
    CapturedStderr& operator=(const CapturedStderr&) = delete;
    ~CapturedStderr() {
        ::dup2(saved_, STDERR_FILENO);
        ::close(saved_);
        std::fclose(file_);
    }

    std::string text() const {
        std::string out;
        char buf[4096];
        std::rewind(file_);
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, file_)) > 0)
            out.append(buf, n);
        return out;
    }

  private:
    std::FILE* file_;
    int saved_;
};

// A loop that counts the watchdog pings arriving at `socket`.
struct WatchdogRun {
    WatchdogRun(uv_loop_t* loop, const NotifySocket& s) : notifier(loop), socket(s) {}

    SystemdNotifier notifier;
    const NotifySocket& socket;
    uv_poll_t poll{};
    uv_timer_t guard{};
    int pings = 0;
    std::vector<std::string> others;

    void finish() noexcept {
        if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&guard))) return;
        notifier.close();
        uv_close(reinterpret_cast<uv_handle_t*>(&poll), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(&guard), nullptr);
    }
};

// Runs the loop until the handles closed by the test are freed; true when it then closes cleanly.
bool loop_closes(uv_loop_t* loop) {
    uv_run(loop, UV_RUN_DEFAULT);
    return uv_loop_close(loop) == 0;
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1))
        ++n;
    return n;
}

}  // namespace

TEST_CASE("ready, status and stopping reach NOTIFY_SOCKET as READY=1, STATUS= and STOPPING=1",
          "[systemd_notify]") {
    NotifySocket socket;
    ScopedEnv notify("NOTIFY_SOCKET", socket.path());
    ScopedEnv watchdog("WATCHDOG_USEC", std::nullopt);
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    {
        SystemdNotifier notifier(&loop);
        CHECK(notifier.watchdog_period_ms() == 0);
        notifier.ready();
        notifier.ready("listening udp=127.0.0.1:43278");
        notifier.status("3 hosts silent");
        notifier.stopping();
        notifier.close();
    }
    CHECK(socket.drain() ==
          std::vector<std::string>{"READY=1", "READY=1\nSTATUS=listening udp=127.0.0.1:43278",
                                   "STATUS=3 hosts silent", "STOPPING=1"});
    CHECK(loop_closes(&loop));
}

TEST_CASE("the watchdog pings WATCHDOG=1 from the loop every half period", "[systemd_notify]") {
    NotifySocket socket;
    ScopedEnv notify("NOTIFY_SOCKET", socket.path());
    ScopedEnv watchdog("WATCHDOG_USEC", "20000");
    ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid()));
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);

    WatchdogRun run(&loop, socket);
    REQUIRE(run.notifier.watchdog_period_ms() == 10);
    // Nothing is sent before the loop turns: the pings show that the loop is alive.
    CHECK(socket.drain().empty());

    REQUIRE(uv_poll_init(&loop, &run.poll, socket.fd()) == 0);
    run.poll.data = &run;
    REQUIRE(uv_poll_start(&run.poll, UV_READABLE, [](uv_poll_t* p, int, int) {
                auto& r = *static_cast<WatchdogRun*>(p->data);
                for (const std::string& d : r.socket.drain()) {
                    if (d == "WATCHDOG=1") {
                        ++r.pings;
                    } else {
                        r.others.push_back(d);
                    }
                }
                if (r.pings >= 3) r.finish();
            }) == 0);
    // Fails the test rather than hanging it when no pings come.
    REQUIRE(uv_timer_init(&loop, &run.guard) == 0);
    run.guard.data = &run;
    REQUIRE(uv_timer_start(
                &run.guard, [](uv_timer_t* t) { static_cast<WatchdogRun*>(t->data)->finish(); },
                5000, 0) == 0);

    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK(run.pings >= 3);
    CHECK(run.others.empty());
    CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("a watchdog meant for another process is not pinged", "[systemd_notify]") {
    NotifySocket socket;
    ScopedEnv notify("NOTIFY_SOCKET", socket.path());
    ScopedEnv watchdog("WATCHDOG_USEC", "20000");
    ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid() + 1));
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    {
        SystemdNotifier notifier(&loop);
        CHECK(notifier.watchdog_period_ms() == 0);
    }
    CHECK(loop_closes(&loop));
}

TEST_CASE("outside systemd every call does nothing and logs nothing", "[systemd_notify]") {
    ScopedEnv notify("NOTIFY_SOCKET", std::nullopt);
    ScopedEnv watchdog("WATCHDOG_USEC", "20000");
    ScopedEnv pid("WATCHDOG_PID", std::to_string(::getpid()));
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    CapturedStderr err;
    {
        SystemdNotifier notifier(&loop);
        CHECK(notifier.watchdog_period_ms() == 0);
        notifier.ready("up");
        notifier.status("still up");
        notifier.stopping();
    }
    CHECK(loop_closes(&loop));
    CHECK(err.text().empty());
}

TEST_CASE("a notify socket nobody listens on is logged once and changes nothing else",
          "[systemd_notify]") {
    ScopedEnv notify("NOTIFY_SOCKET", "/nonexistent/beat-notify");
    ScopedEnv watchdog("WATCHDOG_USEC", std::nullopt);
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    CapturedStderr err;
    {
        SystemdNotifier notifier(&loop);
        notifier.ready();
        notifier.status("up");
        notifier.stopping();
    }
    CHECK(loop_closes(&loop));
    const std::string text = err.text();
    CHECK(count(text, "systemd notification") == 1);
    CHECK(count(text, "READY=1") == 1);
}
