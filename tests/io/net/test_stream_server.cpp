// StreamServer, through the TCP side-port and the HTTP port: a port that cannot be listened on is
// closed before the constructor throws, and a server closes its handles when destroyed.
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include "beat_server/io/net/http_server.hpp"
#include "beat_server/io/net/tcp_server.hpp"
#include "common/uv/uv_error.hpp"
#include "tests/integration/harness.hpp"
#include "tests/io/loop_fixture.hpp"

using namespace beat;
using namespace beat::test;

namespace {

HttpResponse not_found(const HttpRequest&) {
    return text_response(404);
}

}  // namespace

TEST_CASE("a TCP side-port whose port is taken throws and leaves no handle open",
          "[stream_server]") {
    TestLoop loop;
    Store store;
    Executor executor(store);
    const TakenPort taken(SOCK_STREAM);
    CHECK_THROWS_WITH(
        TcpServer(loop.get(), Endpoint{"127.0.0.1", taken.port()}, TcpLimits{}, executor),
        Catch::Contains("cannot listen on TCP 127.0.0.1:") &&
            Catch::Contains("address already in use"));
    CHECK(loop.closes_with_no_handle_open());
}

TEST_CASE("an HTTP port that is taken throws and leaves no handle open", "[stream_server]") {
    TestLoop loop;
    const TakenPort taken(SOCK_STREAM);
    CHECK_THROWS_WITH(
        HttpServer(loop.get(), Endpoint{"127.0.0.1", taken.port()}, HttpLimits{}, not_found),
        Catch::Contains("cannot listen on HTTP 127.0.0.1:") &&
            Catch::Contains("address already in use"));
    CHECK(loop.closes_with_no_handle_open());
}

TEST_CASE("a stream server destroyed without close() leaves no handle open", "[stream_server]") {
    TestLoop loop;
    { HttpServer http(loop.get(), Endpoint{"127.0.0.1", 0}, HttpLimits{}, not_found); }
    CHECK(loop.closes_with_no_handle_open());
}
