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
    CHECK(native.find("point_rows_other PARTITION OF beat.point_rows DEFAULT") !=
          std::string::npos);
    CHECK(native.find("create_hypertable") == std::string::npos);
    const std::string timescale = schema_migrations(true).front().sql;
    CHECK(timescale.find(" PRIMARY KEY (series, time));SELECT create_hypertable('beat.point_rows',"
                         " 'time', chunk_time_interval => interval '1 day');") !=
          std::string::npos);
    CHECK(timescale.find("PARTITION BY") == std::string::npos);
    CHECK(timescale.find("point_rows_other") == std::string::npos);
    CHECK(schema_latest_version() == schema_migrations(false).back().version);
    CHECK(timescale_present_sql() == "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
}

TEST_CASE("version 2 makes series ids bigint, the view beat.points made again over them",
          "[pg_schema]") {
    for (bool timescale : {false, true}) {
        const std::vector<Migration> m = schema_migrations(timescale);
        REQUIRE(m.size() == 2);
        CHECK(m[0].version == 1);
        CHECK(m[1].version == 2);
        CHECK(m[0].sql.find(" id serial PRIMARY KEY") != std::string::npos);
        CHECK(m[1].sql ==
              "DROP VIEW beat.points;"
              "ALTER TABLE beat.series ALTER COLUMN id TYPE bigint;"
              "ALTER SEQUENCE beat.series_id_seq AS bigint;"
              "ALTER TABLE beat.point_rows ALTER COLUMN series TYPE bigint;"
              "CREATE VIEW beat.points AS SELECT s.key, p.time, p.value"
              " FROM beat.point_rows p JOIN beat.series s ON s.id = p.series");
    }
    CHECK(schema_latest_version() == 2);
}

TEST_CASE("points are upserted from binary arrays and copied in binary", "[pg_schema]") {
    const std::string upsert = insert_points_sql();
    CHECK(upsert.find("unnest($1::bigint[], $2::timestamptz[], $3::float8[])") !=
          std::string::npos);
    CHECK(upsert.find("to_timestamp") == std::string::npos);
    CHECK(upsert.find("ON CONFLICT (series, time) DO UPDATE SET value = EXCLUDED.value") !=
          std::string::npos);
    CHECK(copy_points_sql() ==
          "COPY beat.point_rows (series, time, value) FROM STDIN (FORMAT binary)");
}
