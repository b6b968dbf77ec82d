// BinaryServer on a test loop: frames split across reads are stored, a malformed frame closes
// only its own connection, the per-address limit holds, and a connection whose frames wait for a
// commit is not read until the commit.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "beat_server/core/query/executor.hpp"
#include "beat_server/io/net/binary_server.hpp"
#include "tests/io/loop_fixture.hpp"
#include "tests/io/net/stream_client.hpp"
#include "tests/seed_frame.hpp"

using namespace beat;
using namespace beat::test;

namespace {

std::string frame(std::uint64_t timestamp_us, std::string_view name, double value) {
    std::string out;
    encode_frame(timestamp_us, name, value, out);
    return out;
}

std::string get(Store& store, std::string_view key) {
    Executor ex(store);
    std::string out;
    ex.execute(parse_request("get " + std::string(key)), out, 0);
    return out;
}

// Runs the loop without blocking until `ingest` has stored `n` frames; false when that takes
// more than `max_iterations`.
bool stored(TestLoop& loop, const FrameIngest& ingest, std::uint64_t n,
            int max_iterations = 1'000'000) {
    for (int i = 0; i < max_iterations && ingest.stats().stored < n; ++i)
        uv_run(loop.get(), UV_RUN_NOWAIT);
    return ingest.stats().stored >= n;
}

}  // namespace

TEST_CASE("frames split anywhere across reads are stored, and the stream's end closes it",
          "[binary_server]") {
    TestLoop loop;
    Store store;
    FrameIngest ingest(store);
    BinaryServer server(loop.get(), Endpoint{"127.0.0.1", 0}, TcpLimits{}, ingest);
    {
        Client c(port_of(server.bound()));
        const std::string seed(kSeedFrame);
        c.send(seed.substr(0, 3));
        c.send(seed.substr(3, 10));
        c.send(seed.substr(13) + frame(2'500'000, "web.cpu", 0.25).substr(0, 20));
        REQUIRE(stored(loop, ingest, 1));
        c.send(frame(2'500'000, "web.cpu", 0.25).substr(20));
        c.shut_write();
        REQUIRE(wait_closed(loop, c));
        CHECK(ingest.stats().stored == 2);
        CHECK(c.received().empty());  // The format has no reply.
    }
    CHECK(get(store, "metric") == "ok\nmetric 50.123870849609375 1687165\n\n");
    CHECK(get(store, "web.cpu") == "ok\nweb.cpu 0.25 2\n\n");
    CHECK(server.accepted() == 1);
    server.close();
    CHECK(loop.closes_with_no_handle_open());
}

TEST_CASE("a malformed frame closes its connection, counted by reason, and no other",
          "[binary_server]") {
    TestLoop loop;
    Store store;
    FrameIngest ingest(store);
    BinaryServer server(loop.get(), Endpoint{"127.0.0.1", 0}, TcpLimits{}, ingest);
    {
        const std::uint16_t port = port_of(server.bound());
        Client good(port);
        Client bad(port);
        good.send(frame(1'000'000, "good", 1));
        REQUIRE(stored(loop, ingest, 1));
        // A frame with an empty name ends the stream: the frame after it is never read.
        bad.send(frame(1'000'000, "before", 1) + std::string(17, '\0') +
                 frame(1'000'000, "after", 1));
        REQUIRE(wait_closed(loop, bad));
        CHECK(ingest.stats().malformed_by[static_cast<std::size_t>(FrameError::empty_name)] == 1);
        CHECK(store.find("before") != nullptr);
        CHECK(store.find("after") == nullptr);

        good.send(frame(2'000'000, "good", 2));
        REQUIRE(stored(loop, ingest, 3));
        CHECK_FALSE(closed_by_server(good));
        CHECK(get(store, "good") == "ok\ngood 1.0 1\ngood 2.0 2\n\n");
    }
    server.close();
    CHECK(loop.closes_with_no_handle_open());
}

TEST_CASE("connections beyond the per-address limit are closed at once", "[binary_server]") {
    TestLoop loop;
    Store store;
    FrameIngest ingest(store);
    TcpLimits limits;
    limits.max_per_address = 2;
    BinaryServer server(loop.get(), Endpoint{"127.0.0.1", 0}, limits, ingest);
    {
        const std::uint16_t port = port_of(server.bound());
        std::vector<std::unique_ptr<Client>> open;
        for (int i = 0; i < 3; ++i)
            open.push_back(std::make_unique<Client>(port));
        REQUIRE(wait_closed(loop, *open.back()));
        CHECK(server.refused_per_address() == 1);
        CHECK(server.connections() == 2);
        open.front()->send(std::string(kSeedFrame));
        REQUIRE(stored(loop, ingest, 1));
    }
    server.close();
    CHECK(loop.closes_with_no_handle_open());
}

TEST_CASE("a connection whose frames wait for a commit is read again once it is committed",
          "[binary_server]") {
    TestLoop loop;
    Store store;
    FrameIngest ingest(store);
    std::uint64_t generation = 7;  // What the storage says a put made now must wait for.
    BinaryServer server(loop.get(), Endpoint{"127.0.0.1", 0}, TcpLimits{}, ingest,
                        [&] { return generation; });
    {
        Client c(port_of(server.bound()));
        c.send(frame(1'000'000, "m", 1));
        REQUIRE(stored(loop, ingest, 1));
        // The next frame waits in the socket until generation 7 has committed.
        c.send(frame(2'000'000, "m", 2));
        CHECK_FALSE(stored(loop, ingest, 2, 10'000));
        server.committed(6);
        CHECK_FALSE(stored(loop, ingest, 2, 10'000));
        generation = 0;  // The disk has caught up: no frame waits any more.
        server.committed(7);
        REQUIRE(stored(loop, ingest, 2));
        c.send(frame(3'000'000, "m", 3));
        REQUIRE(stored(loop, ingest, 3));
    }
    server.close();
    CHECK(loop.closes_with_no_handle_open());
}
