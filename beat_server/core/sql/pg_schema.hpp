// The PostgreSQL schema `beat`, as SQL text: its versioned migrations, the daily partitions of the
// points and the statements the writer sends. Pure: no connection, no clock.
//
// Behind the view beat.points(key, time, value): beat.series numbers each key once for every
// server writing the database, and beat.point_rows holds one row per (series, second),
// partitioned by day (beat.point_rows_YYYYMMDD, with beat.point_rows_other as the default
// partition for timestamps outside the days created), or a TimescaleDB hypertable when the
// database has that extension.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace beat {

// The advisory lock key every server takes (pg_advisory_xact_lock) while it creates or migrates
// the schema or adds a partition, so servers starting together never race on the catalog.
inline constexpr std::int64_t kSchemaLockKey = 0x62656174'00000001;  // "beat", 1.

// One step of the schema: applied in a transaction when beat.schema_version holds a lower version.
struct Migration {
    int version;
    std::string sql;  // One or more statements separated by ';'.
};

// Statements that make sure beat.schema_version exists (run before reading the version).
std::string schema_bootstrap_sql();

// Whether the database has the timescaledb extension: a row when it has.
std::string timescale_present_sql();

// Every migration in order of version. `timescale`: the database has the timescaledb extension,
// so the points are a hypertable instead of a natively partitioned table.
std::vector<Migration> schema_migrations(bool timescale);

// The latest version schema_migrations() reaches.
int schema_latest_version();

// The day (Unix seconds / 86400, UTC) holding `unix_s`, for any value (floor division).
std::int64_t day_of(std::int64_t unix_s) noexcept;

// The partition's table name for `day`: "point_rows_YYYYMMDD" (UTC), in schema beat.
std::string partition_name(std::int64_t day);

// Creates the partition for `day` if it is missing, under the schema lock, in one transaction.
std::string create_partition_sql(std::int64_t day);

// Upserts points: $1 bigint[] series ids, $2 timestamptz[] times, $3 float8[] values (binary
// parameters, pg_binary.hpp), the three of the same length, no (series, second) twice. A second
// write of a (series, second) replaces its value.
std::string insert_points_sql();

// Adds points from a binary COPY stream of (bigint series, time, value) rows
// (copy_binary_points()): refused whole, with a unique violation, when one of them is stored
// already.
std::string copy_points_sql();

// Adds host events: $1 bigint[] Unix milliseconds, $2 text the server's name, $3 text[] hosts,
// $4 text[] events, $5 text[] addresses, $6 text[] details (JSON objects), the arrays of the same
// length.
std::string insert_events_sql();

// Records hosts: $1 text the server's name, $2 text[] hosts, $3 text[] states, $4 bigint[] Unix
// milliseconds last seen, $5 text[] addresses, $6 text[] details (JSON), no host twice. A host
// already recorded by that server is updated.
std::string upsert_hosts_sql();

// Adds keys: $1 text[]; returns (id, key) of each of them, new or not.
std::string upsert_series_sql();

}  // namespace beat
