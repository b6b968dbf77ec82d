// TcpServer on a test loop: a large get reply to a client that does not read is written in slices
// as it reads, the queue staying near the high-water mark, while other clients are answered.
#include <catch2/catch.hpp>

#include <string>

#include "beat_server/io/net/tcp_server.hpp"
#include "tests/io/loop_fixture.hpp"
#include "tests/io/net/stream_client.hpp"

using namespace beat;
using namespace beat::test;

namespace {

// Fills `store` with `keys` keys of `points` points each: each reply line is 120 bytes.
void fill(Store& store, int keys, int points) {
    const std::string stem(96, 'm');
    for (int k = 0; k < keys; ++k)
        for (int t = 1; t <= points; ++t)
            store.put("host-" + std::to_string(1000 + k) + "." + stem, 1'700'000'000 + t, 0.25,
                      1'700'000'000);
}

// The first key fill() makes.
const std::string kFirstKey = "host-1000." + std::string(96, 'm');

// The reply to `line` in one piece.
std::string one_shot(Executor& executor, const std::string& line) {
    std::string out;
    executor.execute(parse_request(line), out, 1'700'000'000);
    return out;
}

}  // namespace

TEST_CASE("a 16 MiB get reply to a client that does not read stays near the high-water mark",
          "[tcp_server]") {
    TestLoop loop;
    Store store;
    // A reply of 19 MB: 1,600 keys of 100 points for get *, one key of 160,000 for get KEY.
    const bool all = GENERATE(true, false);
    fill(store, all ? 1600 : 1, all ? 100 : 160'000);
    store.put("other", 1, 1, 1'700'000'000);
    const std::string request = all ? "get *" : "get " + kFirstKey;
    INFO(request.substr(0, 20));
    Executor executor(store);
    const std::string expected = one_shot(executor, request);
    REQUIRE(expected.size() > (16u << 20));
    const std::string small = one_shot(executor, "get other");

    TcpServer tcp(loop.get(), Endpoint{"127.0.0.1", 0}, TcpLimits{}, executor);
    const std::uint16_t port = port_of(tcp.bound());
    {
        Client hog(port, 64 * 1024);
        // A request pipelined after the large one: it is answered after it, in order.
        hog.send(request + "\nget other\n");
        REQUIRE(receive(loop, hog, 1));  // The reply has begun.

        // The hog reads no more; another client is answered meanwhile.
        Client other(port);
        other.send("get other\n");
        REQUIRE(receive(loop, other, small.size()));
        CHECK(other.received() == small);
        for (int i = 0; i < 1000; ++i)
            uv_run(loop.get(), UV_RUN_NOWAIT);
        // What the server holds for the hog stays within the high-water mark and a slice, however
        // large the reply: the rest is produced as the hog reads.
        CHECK(tcp.peak_queued() <= StreamServer::kHighWater + StreamServer::kSlice + 1024);
        CHECK(hog.received().size() < expected.size());

        // Then the hog reads everything, byte for byte, the pipelined reply last.
        REQUIRE(receive(loop, hog, expected.size() + small.size()));
        CHECK(hog.received().size() == expected.size() + small.size());
        CHECK(hog.received().compare(0, expected.size(), expected) == 0);
        CHECK(hog.received().substr(expected.size()) == small);
        CHECK(tcp.peak_queued() <= StreamServer::kHighWater + StreamServer::kSlice + 1024);
    }
    tcp.close();
    CHECK(loop.closes_with_no_handle_open());
}

TEST_CASE("a get * being written in slices at shutdown is finished before its connection closes",
          "[tcp_server]") {
    TestLoop loop;
    Store store;
    fill(store, 1600, 100);  // 19 MB: far more than the socket buffers hold.
    Executor executor(store);
    const std::string expected = one_shot(executor, "get *");
    TcpServer tcp(loop.get(), Endpoint{"127.0.0.1", 0}, TcpLimits{}, executor);
    {
        Client hog(port_of(tcp.bound()), 64 * 1024);
        hog.send("get *\n");
        REQUIRE(receive(loop, hog, 1));
        bool idle = false;
        tcp.shutdown([&] { idle = true; });
        REQUIRE(receive(loop, hog, expected.size()));
        CHECK(hog.received() == expected);
        for (int i = 0; i < 1000 && !idle; ++i)
            uv_run(loop.get(), UV_RUN_NOWAIT);
        CHECK(idle);
        CHECK(closed_by_server(hog));
    }
    tcp.close();
    CHECK(loop.closes_with_no_handle_open());
}
