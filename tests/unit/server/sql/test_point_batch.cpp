#include <catch2/catch.hpp>

#include "beat_server/core/sql/point_batch.hpp"

using namespace beat;

namespace {

StoreJournal journal_of(std::vector<StoreJournal::PointRecord> points) {
    StoreJournal j;
    j.points = std::move(points);
    return j;
}

}  // namespace

TEST_CASE("a chunk keeps the last write of each key and second, in key and time order",
          "[point_batch]") {
    PointBatch b;
    StoreJournal j = journal_of({{2, 10, 1.0}, {1, 10, 2.0}, {2, 10, 3.0}, {2, 9, 4.0}});
    j.keys = {{1, "a"}, {2, "b"}};
    b.take(j);
    CHECK(j.empty());
    CHECK(b.waiting() == 4);
    const std::vector<PointBatch::Row> rows = b.chunk(100);
    REQUIRE(rows.size() == 3);
    CHECK((rows[0].key_id == 1 && rows[0].timestamp == 10 && rows[0].value == 2.0));
    CHECK((rows[1].key_id == 2 && rows[1].timestamp == 9 && rows[1].value == 4.0));
    CHECK((rows[2].key_id == 2 && rows[2].timestamp == 10 && rows[2].value == 3.0));
    CHECK(b.key_name(2) == "b");
}

TEST_CASE("rows stay waiting until written, oldest first", "[point_batch]") {
    PointBatch b;
    b.add_key(1, "k");
    StoreJournal j = journal_of({{1, 1, 1}, {1, 2, 2}, {1, 3, 3}});
    b.take(j);
    REQUIRE(b.chunk(2).size() == 2);
    CHECK(b.chunk(2).front().timestamp == 1);
    b.written(2);
    CHECK(b.waiting() == 1);
    CHECK(b.chunk(2).front().timestamp == 3);
    b.written(1);
    CHECK(b.empty());
}

TEST_CASE("a removed key keeps its name while rows of it wait", "[point_batch]") {
    PointBatch b;
    StoreJournal j = journal_of({{7, 1, 1}});
    j.keys = {{7, "gone"}};
    j.removed = {7};
    b.take(j);
    CHECK(b.key_name(7) == "gone");
    b.written(1);
    CHECK_THROWS(b.key_name(7));
}

TEST_CASE("dropping every waiting row says how many there were", "[point_batch]") {
    PointBatch b;
    b.add_key(1, "k");
    StoreJournal j = journal_of({{1, 1, 1}, {1, 2, 2}});
    b.take(j);
    b.written(1);
    CHECK(b.drop_all() == 1);
    CHECK(b.empty());
}
