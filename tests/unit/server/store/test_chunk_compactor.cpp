// ChunkCompactor: the points of consecutive segments regrouped key by key into chunks that hold
// what loading the segments would give: per key in timestamp order, the last write of a second
// winning, every key's newest acceptance time, nothing lost however many points a key has.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "beat_server/core/store/chunk_codec.hpp"
#include "beat_server/core/store/chunk_compactor.hpp"

using namespace beat;

namespace {

// The points of `c`, decoded.
std::vector<std::pair<std::int64_t, double>> decoded(const ChunkCompactor::KeyChunk& c) {
    std::vector<Point> points;
    REQUIRE(decode_chunk(c.bytes, points) == ChunkError::ok);
    REQUIRE(points.size() == c.points);
    std::vector<std::pair<std::int64_t, double>> out;
    for (const Point& p : points)
        out.emplace_back(p.timestamp, p.value);
    return out;
}

}  // namespace

TEST_CASE("points written key after key are regrouped into one chunk per key, in key order",
          "[compactor]") {
    ChunkCompactor c;
    for (std::int64_t ts = 100; ts < 110; ++ts) {
        c.add(7, ts, static_cast<double>(ts) / 4, 1000 + ts);
        c.add(3, ts, 1.5, 1000);
    }
    CHECK(c.size() == 20);
    const auto chunks = c.take();
    REQUIRE(chunks.size() == 2);
    CHECK(chunks[0].key_id == 3);
    CHECK(chunks[0].accepted_s == 1000);
    CHECK(decoded(chunks[0]).size() == 10);
    CHECK(chunks[1].key_id == 7);
    CHECK(chunks[1].accepted_s == 1109);
    CHECK(decoded(chunks[1]).front() == std::pair<std::int64_t, double>{100, 25.0});
    CHECK(decoded(chunks[1]).back() == std::pair<std::int64_t, double>{109, 27.25});
    CHECK(c.size() == 0);
    CHECK(c.take().empty());
}

TEST_CASE("a later write of a key's second wins, and late points are put in timestamp order",
          "[compactor]") {
    ChunkCompactor c;
    c.add(1, 20, 1, 5);
    c.add(1, 10, 2, 5);
    c.add(1, 20, 3, 6);  // Replaces the first write.
    c.add(1, 15, 4, 6);
    c.add(1, 10, 5, 7);  // Replaces the second.
    c.add(1, 10, 6, 7);  // And again, in the same segment.
    const auto chunks = c.take();
    REQUIRE(chunks.size() == 1);
    CHECK(chunks[0].accepted_s == 7);
    CHECK(decoded(chunks[0]) ==
          std::vector<std::pair<std::int64_t, double>>{{10, 6}, {15, 4}, {20, 3}});
}

TEST_CASE("a key with more points than a chunk holds gets several chunks, in timestamp order",
          "[compactor]") {
    ChunkCompactor c;
    const std::size_t n = kMaxChunkPoints + 10;
    for (std::size_t i = 0; i < n; ++i)
        c.add(1, static_cast<std::int64_t>(i) * 5, static_cast<double>(i % 7), 9);
    const auto chunks = c.take();
    REQUIRE(chunks.size() == 2);
    CHECK(chunks[0].points == kMaxChunkPoints);
    CHECK(chunks[1].points == 10);
    CHECK(decoded(chunks[1]).front().first == static_cast<std::int64_t>(kMaxChunkPoints) * 5);
}
