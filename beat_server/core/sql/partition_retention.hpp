// Retention in PostgreSQL: the daily partitions of beat.point_rows (or TimescaleDB chunks) whose
// every point is older than the retention are dropped whole, never row by row. Pure: the writer
// lists the partitions and runs the SQL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beat {

// The day (Unix days, UTC) of a partition named as partition_name() names it
// ("point_rows_YYYYMMDD"), or nullopt for any other name (point_rows_other, a table of the user's).
std::optional<std::int64_t> partition_day(std::string_view name);

// Of `names` (tables in schema beat), the daily partitions holding only points older than
// `retention_s` at `now_unix_s`: day d's last second is older once (d + 1) * 86400 <=
// now - retention. Sorted, oldest first.
std::vector<std::string> partitions_to_drop(const std::vector<std::string>& names,
                                            std::int64_t now_unix_s, std::int64_t retention_s);

// Lists the partitions of beat.point_rows: one row per table name.
std::string list_partitions_sql();

// Drops the tables `names` of schema beat under the schema lock, in one transaction.
std::string drop_partitions_sql(const std::vector<std::string>& names);

// With TimescaleDB: drops the chunks of beat.point_rows wholly older than `retention_s` at
// `now_unix_s`, under the schema lock, in one transaction.
std::string drop_chunks_sql(std::int64_t now_unix_s, std::int64_t retention_s);

}  // namespace beat
