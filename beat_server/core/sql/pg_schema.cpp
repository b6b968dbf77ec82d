#include "beat_server/core/sql/pg_schema.hpp"

#include <fmt/format.h>

namespace beat {

std::string schema_bootstrap_sql() {
    return "CREATE SCHEMA IF NOT EXISTS beat;"
           "CREATE TABLE IF NOT EXISTS beat.schema_version ("
           " version integer NOT NULL,"
           " applied_at timestamptz NOT NULL DEFAULT now())";
}

std::string timescale_present_sql() {
    return "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'";
}

std::vector<Migration> schema_migrations(bool timescale) {
    std::string points =
        "CREATE TABLE beat.series ("
        " id serial PRIMARY KEY,"
        " key text NOT NULL UNIQUE);"
        "CREATE TABLE beat.point_rows ("
        " series integer NOT NULL,"
        " time timestamptz NOT NULL,"
        " value double precision NOT NULL,"
        " PRIMARY KEY (series, time))";
    if (timescale) {
        points +=
            ";SELECT create_hypertable('beat.point_rows', 'time',"
            " chunk_time_interval => interval '1 day')";
    } else {
        points +=
            " PARTITION BY RANGE (time);"
            "CREATE TABLE beat.point_rows_other PARTITION OF beat.point_rows DEFAULT";
    }
    const std::string points_view =
        "CREATE VIEW beat.points AS"
        " SELECT s.key, p.time, p.value FROM beat.point_rows p JOIN beat.series s ON s.id = "
        "p.series";
    std::string rest =
        "CREATE TABLE beat.host_events ("
        " time timestamptz NOT NULL,"
        " server text NOT NULL,"
        " host text NOT NULL,"
        " event text NOT NULL,"
        " address text,"
        " detail jsonb);"
        "CREATE INDEX host_events_host_time ON beat.host_events (host, time);"
        "CREATE TABLE beat.hosts ("
        " server text NOT NULL,"
        " host text NOT NULL,"
        " state text NOT NULL,"
        " last_seen timestamptz,"
        " address text,"
        " detail jsonb,"
        " PRIMARY KEY (server, host))";
    // Version 2: series ids are bigint. A key is a host.metric name, numbered once for every
    // server and never freed, so a fleet whose hosts come and go (containers named at random) adds
    // keys without end; and every restart's INSERT ... ON CONFLICT DO NOTHING of its keys takes
    // sequence values even for those known. In point_rows a bigint costs nothing: the int4 was
    // followed by 4 bytes of padding before the 8-byte-aligned timestamptz, in the row as in the
    // primary key's index entries.
    const std::string bigint_series =
        "DROP VIEW beat.points;"
        "ALTER TABLE beat.series ALTER COLUMN id TYPE bigint;"
        "ALTER SEQUENCE beat.series_id_seq AS bigint;"
        "ALTER TABLE beat.point_rows ALTER COLUMN series TYPE bigint;" +
        points_view;
    return {{1, points + ";" + points_view + ";" + rest}, {2, bigint_series}};
}

int schema_latest_version() {
    return schema_migrations(false).back().version;
}

std::int64_t day_of(std::int64_t unix_s) noexcept {
    const std::int64_t d = unix_s / 86400;
    return unix_s % 86400 < 0 ? d - 1 : d;
}

namespace {

// The civil date (proleptic Gregorian, UTC) of a day counted from 1970-01-01 (Howard Hinnant's
// days_from_civil inverse).
struct CivilDate {
    std::int64_t year;
    unsigned month;
    unsigned day;
};

CivilDate civil_from_days(std::int64_t z) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

}  // namespace

std::string partition_name(std::int64_t day) {
    const CivilDate c = civil_from_days(day);
    return fmt::format("point_rows_{:04}{:02}{:02}", c.year, c.month, c.day);
}

std::string create_partition_sql(std::int64_t day) {
    return fmt::format(
        "BEGIN;SELECT pg_advisory_xact_lock({});"
        "CREATE TABLE IF NOT EXISTS beat.{} PARTITION OF beat.point_rows"
        " FOR VALUES FROM (to_timestamp({})) TO (to_timestamp({}));COMMIT",
        kSchemaLockKey, partition_name(day), day * 86400, (day + 1) * 86400);
}

std::string insert_points_sql() {
    return "INSERT INTO beat.point_rows (series, time, value)"
           " SELECT u.s, u.t, u.v"
           " FROM unnest($1::bigint[], $2::timestamptz[], $3::float8[]) AS u(s, t, v)"
           " ON CONFLICT (series, time) DO UPDATE SET value = EXCLUDED.value";
}

std::string copy_points_sql() {
    return "COPY beat.point_rows (series, time, value) FROM STDIN (FORMAT binary)";
}

std::string insert_events_sql() {
    return "INSERT INTO beat.host_events (time, server, host, event, address, detail)"
           " SELECT to_timestamp(u.t / 1000.0), $2, u.h, u.e, u.a, u.d::jsonb"
           " FROM unnest($1::bigint[], $3::text[], $4::text[], $5::text[], $6::text[])"
           " AS u(t, h, e, a, d)";
}

std::string upsert_hosts_sql() {
    return "INSERT INTO beat.hosts (server, host, state, last_seen, address, detail)"
           " SELECT $1, u.h, u.s, to_timestamp(u.t / 1000.0), u.a, u.d::jsonb"
           " FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[])"
           " AS u(h, s, t, a, d)"
           " ON CONFLICT (server, host) DO UPDATE SET state = EXCLUDED.state,"
           " last_seen = EXCLUDED.last_seen, address = EXCLUDED.address, detail = EXCLUDED.detail";
}

std::string upsert_series_sql() {
    return "WITH k AS (SELECT DISTINCT unnest($1::text[]) AS key),"
           " added AS (INSERT INTO beat.series (key) SELECT key FROM k"
           " ON CONFLICT (key) DO NOTHING RETURNING id, key)"
           " SELECT id, key FROM added"
           " UNION ALL SELECT s.id, s.key FROM beat.series s JOIN k ON k.key = s.key";
}

}  // namespace beat
