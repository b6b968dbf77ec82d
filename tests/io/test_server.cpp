// Server: a constructor that fails at any step closes every handle it opened before, so that the
// loop then closes cleanly; a server that started closes every handle once stopped.
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <fstream>

#include "beat_server/io/server.hpp"
#include "beat_server/io/storage/database.hpp"
#include "common/uv/uv_error.hpp"
#include "tests/integration/harness.hpp"
#include "tests/io/loop_fixture.hpp"

using namespace beat;
// Not the harness's Server, a child process: this one is the object under test.
using test::TakenPort;
using test::TempDir;
using test::TestLoop;

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

}  // namespace

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
