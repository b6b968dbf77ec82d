#include <catch2/catch.hpp>

#include <unistd.h>
#include <uv.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "common/uv/systemd_notify.hpp"
#include "tests/fake_systemd.hpp"
#include "tests/occurrences.hpp"

using namespace beat;
using beat::test::NotifySocket;
using beat::test::occurrences;
using beat::test::ScopedEnv;

namespace {

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

}  // namespace

TEST_CASE("ready and stopping reach NOTIFY_SOCKET as READY=1 (with any STATUS=) and STOPPING=1",
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
        notifier.stopping();
        notifier.close();
    }
    CHECK(socket.drain() ==
          std::vector<std::string>{"READY=1", "READY=1\nSTATUS=listening udp=127.0.0.1:43278",
                                   "STOPPING=1"});
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
        notifier.ready("up");
        notifier.stopping();
    }
    CHECK(loop_closes(&loop));
    const std::string text = err.text();
    CHECK(occurrences(text, "systemd notification") == 1);
    CHECK(occurrences(text, "READY=1") == 1);
}
