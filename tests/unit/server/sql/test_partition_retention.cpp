#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "beat_server/core/sql/partition_retention.hpp"
#include "beat_server/core/sql/pg_schema.hpp"

using namespace beat;

TEST_CASE("a partition's name gives back its day, other names none", "[partition_retention]") {
    for (std::int64_t day : {-719468, -1, 0, 19'700, 20'000, 2'932'896})
        CHECK(partition_day(partition_name(day)) == day);
    CHECK(partition_day("point_rows_20240229") == 19'782);
    CHECK_FALSE(partition_day("point_rows_other"));
    CHECK_FALSE(partition_day("point_rows_20230231"));
    CHECK_FALSE(partition_day("point_rows_20231301"));
    CHECK_FALSE(partition_day("point_rows_2023011"));
    CHECK_FALSE(partition_day("point_rows_2023-1-01"));
    CHECK_FALSE(partition_day("series"));
}

TEST_CASE("only partitions whose every second is older than the retention are dropped",
          "[partition_retention]") {
    const std::int64_t today = 20'000;
    const std::int64_t now = today * 86400 + 3600;  // 01:00 UTC.
    const std::vector<std::string> names{partition_name(today),     partition_name(today - 1),
                                         partition_name(today - 3), partition_name(today - 2),
                                         partition_name(today + 1), "point_rows_other"};
    // A retention of 1 day reaches back to yesterday 01:00: yesterday is kept.
    CHECK(partitions_to_drop(names, now, 86400) ==
          std::vector<std::string>{partition_name(today - 3), partition_name(today - 2)});
    // One hour reaches back to midnight exactly: yesterday's last second is older.
    CHECK(partitions_to_drop(names, now, 3600) ==
          std::vector<std::string>{partition_name(today - 3), partition_name(today - 2),
                                   partition_name(today - 1)});
    CHECK(partitions_to_drop(names, now, 3601).size() == 2);
    CHECK(partitions_to_drop(names, now, 7 * 86400).empty());
}

TEST_CASE("dropping partitions and chunks takes the schema lock", "[partition_retention]") {
    CHECK(drop_partitions_sql({"point_rows_20230101", "point_rows_20230102"}) ==
          "BEGIN;SELECT pg_advisory_xact_lock(7090180339208814593);"
          "DROP TABLE IF EXISTS beat.point_rows_20230101, beat.point_rows_20230102;COMMIT");
    CHECK(drop_chunks_sql(1'700'000'000, 86400) ==
          "BEGIN;SELECT pg_advisory_xact_lock(7090180339208814593);"
          "SELECT drop_chunks('beat.point_rows', older_than => to_timestamp(1699913600));COMMIT");
    CHECK(list_partitions_sql().find("inhparent = 'beat.point_rows'::regclass") !=
          std::string::npos);
}
