// DiskTrims: a trim drops the points of its key written before it with a timestamp before its
// keep_from, in segments and in chunks alike (a chunk counts as written at the end of its last
// segment), and never one written after it.
#include <catch2/catch.hpp>

#include "beat_server/core/store/disk_trims.hpp"

using namespace beat;

TEST_CASE("a trim drops the older points written before it, never those written after it",
          "[disk_trims]") {
    DiskTrims trims;
    trims.add(1, 5, 3, 100);  // Made after the first 3 points of segment 5.
    trims.seal();
    CHECK_FALSE(trims.kept(1, 99, 4, 1000));
    CHECK_FALSE(trims.kept(1, 99, 5, 2));
    CHECK(trims.kept(1, 100, 5, 2));
    CHECK(trims.kept(1, 99, 5, 3));
    CHECK(trims.kept(1, 99, 6, 0));
    CHECK(trims.kept(2, 99, 4, 0));  // Another key.
    CHECK(trims.covered(1, 5, 2));
    CHECK_FALSE(trims.covered(1, 5, 3));
}

TEST_CASE("a chunk counts as written after every point of its last segment", "[disk_trims]") {
    DiskTrims trims;
    trims.add(1, 5, 3, 100);
    trims.add(1, 9, 0, 50);
    trims.seal();
    // Compacted up to segment 4: both trims came after it.
    CHECK(trims.covered(1, 4, DiskTrims::kChunk));
    CHECK_FALSE(trims.kept(1, 99, 4, DiskTrims::kChunk));
    // Up to segment 5: only the second trim, made with segment 9, came after it.
    CHECK_FALSE(trims.kept(1, 49, 5, DiskTrims::kChunk));
    CHECK(trims.kept(1, 99, 5, DiskTrims::kChunk));
    // Up to segment 9: made after both.
    CHECK_FALSE(trims.covered(1, 9, DiskTrims::kChunk));
    CHECK(trims.kept(1, 1, 9, DiskTrims::kChunk));
}

TEST_CASE("a later trim with an earlier keep_from does not bring back what an earlier one dropped",
          "[disk_trims]") {
    DiskTrims trims;
    trims.add(1, 3, 0, 100);
    trims.add(1, 7, 0, 10);
    trims.seal();
    CHECK_FALSE(trims.kept(1, 50, 2, 0));
    CHECK(trims.kept(1, 50, 5, 0));
    CHECK_FALSE(trims.kept(1, 5, 5, 0));
}
