// Server: a constructor that fails at any step closes every handle it opened before, so that the
// loop then closes cleanly; a server that started closes every handle once stopped; a stall of its
// own loop is noticed, and the beats that waited meanwhile are read before anyone is judged.
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "beat_server/io/server.hpp"
#include "beat_server/io/storage/database.hpp"
#include "common/uv/unix_clock.hpp"
#include "common/uv/uv_error.hpp"
#include "common/wire.hpp"
#include "tests/integration/harness.hpp"
#include "tests/io/loop_fixture.hpp"

using namespace beat;
// Not the harness's Server, a child process: this one is the object under test.
using test::TakenPort;
using test::TempDir;
using test::TestLoop;
using test::UdpSocket;

namespace {

// Every port on 127.0.0.1, chosen by the kernel, and the storage in `data_dir`: by the time the
// HTTP port is bound the storage, the UDP listener and the TCP side-port are open.
ServerConfig loopback_config(const TempDir& data_dir) {
    ServerConfig c;
    c.udp = Endpoint{"127.0.0.1", 0};
    c.tcp = Endpoint{"127.0.0.1", 0};
    c.http = Endpoint{"127.0.0.1", 0};
    c.data_dir = data_dir.path();
    c.durability = Durability::batch;
    return c;
}

// Memory only, no HTTP port, and the fixed detector with a 300 ms timeout.
ServerConfig memory_config() {
    ServerConfig c;
    c.udp = Endpoint{"127.0.0.1", 0};
    c.tcp = Endpoint{"127.0.0.1", 0};
    c.http.reset();
    c.durability = Durability::off;
    c.timeout_ms = 300;
    c.detector.kind = DetectorKind::fixed;
    return c;
}

// A server on a test loop driven by a 100 ms timer: at each tick `on_tick(tick)` runs (from 1 on),
// and the loop can be stalled once, after a turn's reads, by stall(). Every turn, before the
// loop waits, records the most hosts ever seen silent.
struct StalledServer {
    explicit StalledServer(std::function<void(StalledServer&, int)> on_tick)
        : server(loop.get(), memory_config()), tick(std::move(on_tick)) {
        const std::string bound = server.udp().bound();
        port = static_cast<std::uint16_t>(std::stoul(bound.substr(bound.rfind(':') + 1)));
        uv_timer_init(loop.get(), &timer);
        uv_check_init(loop.get(), &stall_check);
        uv_prepare_init(loop.get(), &observer);
        timer.data = stall_check.data = observer.data = this;
        uv_timer_start(
            &timer,
            [](uv_timer_t* t) {
                auto* self = static_cast<StalledServer*>(t->data);
                self->tick(*self, ++self->ticks);
            },
            100, 100);
        uv_prepare_start(&observer, [](uv_prepare_t* p) {
            auto* self = static_cast<StalledServer*>(p->data);
            self->most_silent =
                std::max(self->most_silent, self->server.monitor().liveness().silent_count());
        });
    }

    // Blocks the loop for 1 s after this turn's reads (a check callback, as a long page render
    // or a long batch would). Unless `from_seq` is 0 it sends beat `from_seq` and the 9 after it
    // 100 ms apart meanwhile: they wait unread in the socket, and the detector's deadline passes.
    void stall(std::uint64_t from_seq) {
        stall_seq = from_seq;
        uv_check_start(&stall_check, [](uv_check_t* c) {
            auto* self = static_cast<StalledServer*>(c->data);
            uv_check_stop(c);
            for (std::uint64_t s = self->stall_seq; s < self->stall_seq + 10; ++s) {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                if (self->stall_seq != 0) self->beat(s);
            }
        });
    }

    // Sends beat `seq` of host "stalled" (interval 100 ms) to the server.
    void beat(std::uint64_t seq) {
        Heartbeat hb;
        hb.host = "stalled";
        hb.incarnation = 1;
        hb.sequence = seq;
        hb.send_time_ms = unix_now_ms();
        hb.interval_ms = 100;
        agent.send_to(port, pack_beat(hb).at(0));
    }

    // Stops the server and the test's handles; the loop then runs out.
    void stop() {
        server.stop();
        for (uv_handle_t* h :
             {reinterpret_cast<uv_handle_t*>(&timer), reinterpret_cast<uv_handle_t*>(&stall_check),
              reinterpret_cast<uv_handle_t*>(&observer)})
            uv_close(h, nullptr);
    }

    TestLoop loop;
    Server server;
    UdpSocket agent;
    std::uint16_t port = 0;
    std::function<void(StalledServer&, int)> tick;
    int ticks = 0;
    uv_timer_t timer{};
    uv_check_t stall_check{};
    uv_prepare_t observer{};
    std::uint64_t stall_seq = 0;
    std::size_t most_silent = 0;
};

}  // namespace

TEST_CASE("a host whose beats waited unread through a stall of the server's loop is not silent",
          "[server]") {
    StalledServer s([](StalledServer& s, int tick) {
        if (tick <= 5) s.beat(static_cast<std::uint64_t>(tick));
        if (tick == 5) s.stall(6);
        if (tick > 5 && tick < 10) s.beat(static_cast<std::uint64_t>(tick + 10));
        if (tick == 10) s.stop();
    });
    uv_run(s.loop.get(), UV_RUN_DEFAULT);
    CHECK(s.server.monitor().registry().find("stalled")->beats == 19);
    CHECK(s.most_silent == 0);
    CHECK(s.server.monitor().stats().stalls >= 1);
    CHECK(s.loop.closes_with_no_handle_open());
}

TEST_CASE("a stall of the server's loop is noticed with no host to judge", "[server]") {
    StalledServer s([](StalledServer& s, int tick) {
        if (tick == 1) s.stall(0);
        if (tick == 3) s.stop();
    });
    uv_run(s.loop.get(), UV_RUN_DEFAULT);
    CHECK(s.server.monitor().registry().size() == 0);
    CHECK(s.server.monitor().stats().stalls >= 1);
    CHECK(s.loop.closes_with_no_handle_open());
}

TEST_CASE("a server whose HTTP port is taken throws and leaves no handle open", "[server]") {
    TestLoop loop;
    TempDir dir;
    const TakenPort taken(SOCK_STREAM);
    ServerConfig config = loopback_config(dir);
    config.http = Endpoint{"127.0.0.1", taken.port()};
    CHECK_THROWS_WITH(Server(loop.get(), config),
                      Catch::Contains("HTTP") && Catch::Contains("address already in use"));
    CHECK(loop.closes_with_no_handle_open());
}

TEST_CASE("a server whose TCP port is taken throws and leaves no handle open", "[server]") {
    TestLoop loop;
    TempDir dir;
    const TakenPort taken(SOCK_STREAM);
    ServerConfig config = loopback_config(dir);
    config.tcp = Endpoint{"127.0.0.1", taken.port()};
    CHECK_THROWS_WITH(Server(loop.get(), config),
                      Catch::Contains("TCP") && Catch::Contains("address already in use"));
    CHECK(loop.closes_with_no_handle_open());
}

TEST_CASE("a server whose UDP port is taken throws and leaves no handle open", "[server]") {
    TestLoop loop;
    TempDir dir;
    const TakenPort taken(SOCK_DGRAM);
    ServerConfig config = loopback_config(dir);
    config.udp = Endpoint{"127.0.0.1", taken.port()};
    CHECK_THROWS_WITH(Server(loop.get(), config),
                      Catch::Contains("UDP") && Catch::Contains("address already in use"));
    CHECK(loop.closes_with_no_handle_open());
}

TEST_CASE("a server whose data directory is a regular file throws and leaves no handle open",
          "[server]") {
    TestLoop loop;
    TempDir dir;
    ServerConfig config = loopback_config(dir);
    config.data_dir = dir.path() + "/file";
    std::ofstream(config.data_dir) << "not a directory\n";
    CHECK_THROWS_AS(Server(loop.get(), config), StorageError);
    CHECK(loop.closes_with_no_handle_open());
}

TEST_CASE("a server that started closes every handle once stopped", "[server]") {
    TestLoop loop;
    TempDir dir;
    {
        Server server(loop.get(), loopback_config(dir));
        server.stop();
        uv_run(loop.get(), UV_RUN_DEFAULT);
    }
    CHECK(loop.closes_with_no_handle_open());
}

TEST_CASE("a server destroyed before it was stopped leaves no handle open", "[server]") {
    TestLoop loop;
    TempDir dir;
    { Server server(loop.get(), loopback_config(dir)); }
    CHECK(loop.closes_with_no_handle_open());
}
