// BinaryServer on a test loop: frames split across reads are stored, a malformed frame closes
// only its own connection, the per-address limit holds, and a connection whose frames wait for a
// commit is not read until the commit.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "beat_server/core/query/executor.hpp"
#include "beat_server/io/net/binary_server.hpp"
#include "tests/binary_frames.hpp"
#include "tests/io/loop_fixture.hpp"
#include "tests/io/net/stream_client.hpp"

using namespace beat;
using namespace beat::test;

namespace {

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
        c.send(seed.substr(13) + frame_bytes(2'500'000, "web.cpu", 0.25).substr(0, 20));
        REQUIRE(stored(loop, ingest, 1));
        c.send(frame_bytes(2'500'000, "web.cpu", 0.25).substr(20));
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
        good.send(frame_bytes(1'000'000, "good", 1));
        REQUIRE(stored(loop, ingest, 1));
        // A frame with an empty name ends the stream: the frame after it is never read.
        bad.send(frame_bytes(1'000'000, "before", 1) + std::string(17, '\0') +
                 frame_bytes(1'000'000, "after", 1));
        REQUIRE(wait_closed(loop, bad));
        CHECK(ingest.stats().malformed_by[static_cast<std::size_t>(FrameError::empty_name)] == 1);
        CHECK(store.find("before") != nullptr);
        CHECK(store.find("after") == nullptr);

        good.send(frame_bytes(2'000'000, "good", 2));
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

TEST_CASE(
    "frames waiting for a commit pause their connection at the high-water mark, as held "
    "put replies do, and keep it open until committed",
    "[binary_server]") {
    TestLoop loop;
    Store store;
    FrameIngest ingest(store);
    std::uint64_t generation = 7;  // What the storage says a put made now must wait for.
    BinaryServer server(loop.get(), Endpoint{"127.0.0.1", 0}, TcpLimits{}, ingest,
                        [&] { return generation; });
    {
        Client c(port_of(server.bound()));
        // 2 MiB of frames, 272 bytes each: far beyond what may wait for one commit.
        std::string frames;
        const std::string name(255, 'n');
        for (int i = 0; i < 8000; ++i)
            frames += frame_bytes(1'000'000ull * (i + 1), name, i);
        std::size_t sent = 0;
        for (int i = 0; i < 200'000 && sent < frames.size(); ++i) {
            sent += c.send_some(std::string_view(frames).substr(sent));
            uv_run(loop.get(), UV_RUN_NOWAIT);
        }
        // Reading stopped once about kHighWater bytes of frames waited (plus the read in hand).
        for (int i = 0; i < 10'000; ++i)
            uv_run(loop.get(), UV_RUN_NOWAIT);
        const std::uint64_t held = ingest.stats().stored;
        CHECK(held * kMaxFrame >= StreamServer::kHighWater);
        CHECK(held * kMaxFrame <= StreamServer::kHighWater + 128 * 1024);
        server.committed(6);  // An older generation releases nothing.
        for (int i = 0; i < 10'000; ++i)
            uv_run(loop.get(), UV_RUN_NOWAIT);
        CHECK(ingest.stats().stored == held);

        // Generation 7 commits; the disk keeps up from now on.
        generation = 0;
        server.committed(7);
        for (int i = 0; i < 200'000 && sent < frames.size(); ++i) {
            sent += c.send_some(std::string_view(frames).substr(sent));
            uv_run(loop.get(), UV_RUN_NOWAIT);
        }
        REQUIRE(sent == frames.size());
        REQUIRE(stored(loop, ingest, 8000));

        // The end of a stream whose last frame waits for a commit closes it only once committed.
        generation = 8;
        c.send(frame_bytes(1, "last", 1));
        REQUIRE(stored(loop, ingest, 8001));
        c.shut_write();
        for (int i = 0; i < 10'000; ++i)
            uv_run(loop.get(), UV_RUN_NOWAIT);
        CHECK_FALSE(closed_by_server(c));
        server.committed(8);
        CHECK(wait_closed(loop, c));
    }
    server.close();
    CHECK(loop.closes_with_no_handle_open());
}
