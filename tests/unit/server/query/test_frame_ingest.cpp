#include <catch2/catch.hpp>

#include <string>

#include "beat_server/core/query/executor.hpp"
#include "beat_server/core/query/frame_ingest.hpp"
#include "beat_server/core/store/store_journal.hpp"
#include "tests/binary_frames.hpp"

using namespace beat;

namespace {

const std::string kSeedExample(beat::test::kSeedFrame);

// The frame at the front of `bytes`, decoded (its name a view into `bytes`).
MetricFrame decoded(const std::string& bytes) {
    FrameDecoder d;
    std::string_view rest = bytes;
    REQUIRE(d.next(rest) == FrameDecoder::Step::frame);
    return d.frame();
}

MetricFrame frame_of(std::string& bytes, std::uint64_t timestamp_us, std::string_view name,
                     double value) {
    bytes.clear();
    encode_frame(timestamp_us, name, value, bytes);
    return decoded(bytes);
}

std::string get(Store& store, std::string_view key) {
    Executor ex(store);
    std::string out;
    ex.execute(parse_request("get " + std::string(key)), out, 0);
    return out;
}

}  // namespace

TEST_CASE("the seed's example frame reads back through get at its second", "[frame_ingest]") {
    Store store;
    FrameIngest ingest(store);
    CHECK(ingest.store(decoded(kSeedExample), 1'700'000'000));
    CHECK(get(store, "metric") == "ok\nmetric 50.123870849609375 1687165\n\n");
    CHECK(ingest.stats().stored == 1);
}

TEST_CASE("a frame is the put it stands for: a second frame in the same second replaces it",
          "[frame_ingest]") {
    Store store;
    FrameIngest ingest(store);
    Executor ex(store);
    std::string bytes;
    CHECK(ingest.store(frame_of(bytes, 2'000'000, "web.cpu", 1.5), 100));
    CHECK(ingest.store(frame_of(bytes, 2'999'999, "web.cpu", 2.5), 100));
    CHECK(ingest.store(frame_of(bytes, 3'000'000, "web.cpu", 3.5), 100));
    std::string out;
    ex.execute(parse_request("put web.cpu 4.5 3"), out, 100);
    CHECK(get(store, "web.cpu") == "ok\nweb.cpu 2.5 2\nweb.cpu 4.5 3\n\n");
    CHECK(store.point_count() == 2);
    CHECK(ingest.stats().stored == 3);
}

TEST_CASE("a stored frame is journalled like a put, so the storage writes it alike",
          "[frame_ingest]") {
    Store store;
    StoreJournal journal;
    store.set_journal(&journal);
    FrameIngest ingest(store);
    REQUIRE(ingest.store(decoded(kSeedExample), 1'700'000'000));
    REQUIRE(journal.keys.size() == 1);
    CHECK(journal.keys[0].name == "metric");
    REQUIRE(journal.points.size() == 1);
    CHECK(journal.points[0].key_id == journal.keys[0].id);
    CHECK(journal.points[0].timestamp == 1'687'165);
    CHECK(journal.points[0].value == 50.123870849609375);
}

TEST_CASE("a frame for a new key beyond max-keys is not stored and is counted", "[frame_ingest]") {
    RetentionLimits limits;
    limits.max_keys = 1;
    Store store(limits);
    FrameIngest ingest(store);
    std::string bytes;
    CHECK(ingest.store(frame_of(bytes, 1'000'000, "a", 1), 100));
    CHECK_FALSE(ingest.store(frame_of(bytes, 1'000'000, "b", 1), 100));
    CHECK(ingest.store(frame_of(bytes, 2'000'000, "a", 2), 100));
    CHECK(ingest.stats().stored == 2);
    CHECK(ingest.stats().key_limit == 1);
    CHECK(store.find("b") == nullptr);
}

TEST_CASE("streams ended by a malformed frame are counted by reason", "[frame_ingest]") {
    Store store;
    FrameIngest ingest(store);
    ingest.malformed(FrameError::empty_name);
    ingest.malformed(FrameError::non_finite_value);
    ingest.malformed(FrameError::non_finite_value);
    CHECK(ingest.stats().malformed_by[static_cast<std::size_t>(FrameError::empty_name)] == 1);
    CHECK(ingest.stats().malformed_by[static_cast<std::size_t>(FrameError::non_finite_value)] == 2);
    CHECK(ingest.stats().stored == 0);
}
