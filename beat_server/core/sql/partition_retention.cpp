#include "beat_server/core/sql/partition_retention.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "beat_server/core/sql/pg_schema.hpp"

namespace beat {
namespace {

constexpr std::string_view kPrefix = "point_rows_";

// Days from 1970-01-01 of a civil date (proleptic Gregorian; Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::optional<std::int64_t> partition_day(std::string_view name) {
    if (!name.starts_with(kPrefix) || name.size() != kPrefix.size() + 8) return std::nullopt;
    const std::string_view digits = name.substr(kPrefix.size());
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    unsigned ymd = 0;
    std::from_chars(digits.data(), digits.data() + digits.size(), ymd);
    const unsigned month = ymd / 100 % 100;
    const unsigned day = ymd % 100;
    if (month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
    const std::int64_t d = days_from_civil(ymd / 10000, month, day);
    // Only the names partition_name() writes: 20230231 is not a date.
    if (partition_name(d) != name) return std::nullopt;
    return d;
}

std::vector<std::string> partitions_to_drop(const std::vector<std::string>& names,
                                            std::int64_t now_unix_s, std::int64_t retention_s) {
    std::vector<std::pair<std::int64_t, std::string>> old;
    for (const std::string& n : names) {
        const std::optional<std::int64_t> d = partition_day(n);
        if (d && (*d + 1) * 86400 <= now_unix_s - retention_s) old.emplace_back(*d, n);
    }
    std::sort(old.begin(), old.end());
    std::vector<std::string> out;
    out.reserve(old.size());
    for (auto& [day, name] : old)
        out.push_back(std::move(name));
    return out;
}

std::string list_partitions_sql() {
    return "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
           " WHERE i.inhparent = 'beat.point_rows'::regclass";
}

std::string drop_partitions_sql(const std::vector<std::string>& names) {
    std::string tables;
    for (const std::string& n : names)
        tables += (tables.empty() ? "beat." : ", beat.") + n;
    return fmt::format("BEGIN;SELECT pg_advisory_xact_lock({});DROP TABLE IF EXISTS {};COMMIT",
                       kSchemaLockKey, tables);
}

std::string drop_chunks_sql(std::int64_t now_unix_s, std::int64_t retention_s) {
    return fmt::format(
        "BEGIN;SELECT pg_advisory_xact_lock({});"
        "SELECT drop_chunks('beat.point_rows', older_than => to_timestamp({}));COMMIT",
        kSchemaLockKey, now_unix_s - retention_s);
}

}  // namespace beat
