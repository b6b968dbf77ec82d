#include <catch2/catch.hpp>

#include <string>

#include "beat_server/core/sql/pg_schema.hpp"

using namespace beat;

TEST_CASE("a day is counted from 1970-01-01 UTC, before it too", "[pg_schema]") {
    CHECK(day_of(0) == 0);
    CHECK(day_of(86399) == 0);
    CHECK(day_of(86400) == 1);
    CHECK(day_of(-1) == -1);
    CHECK(day_of(-86400) == -1);
    CHECK(day_of(-86401) == -2);
}

TEST_CASE("a partition is named after its UTC date", "[pg_schema]") {
    CHECK(partition_name(0) == "point_rows_19700101");
    CHECK(partition_name(day_of(1'709'251'199)) == "point_rows_20240229");  // 23:59:59.
    CHECK(partition_name(day_of(1'709'251'200)) == "point_rows_20240301");
    CHECK(partition_name(-1) == "point_rows_19691231");
}

TEST_CASE("a partition covers its day and is created under the schema lock", "[pg_schema]") {
    const std::string sql = create_partition_sql(19'783);  // 2024-03-01.
    CHECK(sql.find("pg_advisory_xact_lock") != std::string::npos);
    CHECK(sql.find("beat.point_rows_20240301 PARTITION OF beat.point_rows") != std::string::npos);
    CHECK(sql.find("FROM (to_timestamp(1709251200)) TO (to_timestamp(1709337600))") !=
          std::string::npos);
}

TEST_CASE("the points are partitioned natively, or a hypertable with TimescaleDB", "[pg_schema]") {
    const std::string native = schema_migrations(false).front().sql;
    CHECK(native.find("PARTITION BY RANGE (time)") != std::string::npos);
    CHECK(native.find("create_hypertable") == std::string::npos);
    const std::string timescale = schema_migrations(true).front().sql;
    CHECK(timescale.find("create_hypertable") != std::string::npos);
    CHECK(timescale.find("PARTITION BY") == std::string::npos);
    CHECK(schema_latest_version() == schema_migrations(false).back().version);
}
