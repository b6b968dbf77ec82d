#include "beat_server/io/postgres/postgres_writer.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <unordered_set>

#include "beat_server/core/sql/partition_retention.hpp"
#include "beat_server/core/sql/pg_array.hpp"
#include "beat_server/core/sql/pg_binary.hpp"
#include "beat_server/core/sql/pg_schema.hpp"
#include "beat_server/io/postgres/pg_connection.hpp"
#include "common/log.hpp"
#include "common/uv/unix_clock.hpp"

namespace beat {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kConnectTimeoutS = 2;
// Partitions are created for the days of the points from this many days back to tomorrow; points
// further away land in the default partition beat.point_rows_other.
constexpr std::int64_t kPartitionDaysBack = 7;
constexpr const char* kInsertPoints = "beat_insert_points";
constexpr const char* kInsertEvents = "beat_insert_events";
constexpr const char* kUpsertHosts = "beat_upsert_hosts";
constexpr const char* kUniqueViolation = "23505";

template <typename T>
T parse_number(std::string_view text) {
    T v{};
    std::from_chars(text.data(), text.data() + text.size(), v);
    return v;
}

}  // namespace

PostgresWriter::PostgresWriter(std::string conninfo, std::string server,
                               std::size_t max_waiting_points, std::int64_t retention_s,
                               std::vector<std::pair<std::uint64_t, std::string>> keys)
    : conninfo_(std::move(conninfo)),
      server_(std::move(server)),
      max_waiting_(max_waiting_points),
      retention_s_(retention_s) {
    for (auto& [id, name] : keys)
        batch_.add_key(id, std::move(name));
    thread_ = std::thread([this] { run(); });
}

PostgresWriter::~PostgresWriter() {
    StoreJournal none;
    close(none, std::chrono::milliseconds(0));
}

std::size_t PostgresWriter::submit(StoreJournal& journal) {
    std::size_t dropped = 0;
    {
        std::lock_guard lock(mutex_);
        const std::size_t room = max_waiting_ > stats_.waiting ? max_waiting_ - stats_.waiting : 0;
        if (journal.points.size() > room) {
            dropped = journal.points.size() - room;
            journal.points.resize(room);  // The newest go.
            stats_.dropped += dropped;
        }
        if (journal.empty()) return dropped;
        stats_.waiting += journal.points.size();
        if (incoming_.empty()) {
            std::swap(incoming_, journal);
        } else {
            std::move(journal.keys.begin(), journal.keys.end(), std::back_inserter(incoming_.keys));
            incoming_.points.insert(incoming_.points.end(), journal.points.begin(),
                                    journal.points.end());
            incoming_.removed.insert(incoming_.removed.end(), journal.removed.begin(),
                                     journal.removed.end());
        }
        journal.clear();
    }
    wake_.notify_one();
    return dropped;
}

std::size_t PostgresWriter::submit_events(std::vector<EventRow>& events) {
    std::size_t dropped = 0;
    {
        std::lock_guard lock(mutex_);
        for (EventRow& e : events) {
            if (incoming_events_.size() >= kMaxWaitingEvents) {
                ++dropped;
                continue;
            }
            incoming_events_.push_back(std::move(e));
        }
        stats_.events_dropped += dropped;
    }
    events.clear();
    wake_.notify_one();
    return dropped;
}

void PostgresWriter::submit_hosts(std::vector<HostRow>& hosts) {
    {
        std::lock_guard lock(mutex_);
        std::move(hosts.begin(), hosts.end(), std::back_inserter(incoming_hosts_));
    }
    hosts.clear();
}

void PostgresWriter::close(StoreJournal& last, std::chrono::milliseconds budget) {
    if (!thread_.joinable()) return;
    submit(last);
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
        stop_by_ = Clock::now() + budget;
    }
    wake_.notify_one();
    thread_.join();
}

PostgresStats PostgresWriter::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

void PostgresWriter::run() noexcept {
    Clock::time_point retry_at = Clock::now();
    for (;;) {
        bool stopping = false;
        Clock::time_point stop_by;
        {
            std::unique_lock lock(mutex_);
            const bool was_stopping = stop_;
            if (batch_.empty() && events_.empty() && hosts_.empty()) {
                const auto work = [&] {
                    return stop_ || !incoming_.empty() || !incoming_events_.empty() ||
                           !incoming_hosts_.empty();
                };
                // Connected, the hourly retention check wakes the thread too.
                if (conn_ != nullptr)
                    wake_.wait_until(lock, retention_due_, work);
                else
                    wake_.wait(lock, work);
            } else if (conn_ == nullptr) {
                // Waiting to reconnect: only stopping (its deadline) cuts the pause short.
                const Clock::time_point until =
                    was_stopping ? std::min(retry_at, stop_by_) : retry_at;
                wake_.wait_until(lock, until, [&] { return stop_ != was_stopping; });
            }
            try {
                batch_.take(incoming_);
                std::move(incoming_events_.begin(), incoming_events_.end(),
                          std::back_inserter(events_));
                incoming_events_.clear();
                for (HostRow& h : incoming_hosts_)
                    hosts_[h.host] = std::move(h);
                incoming_hosts_.clear();
            } catch (const std::exception& e) {
                log_error("postgres: {}", e.what());
            }
            stopping = stop_;
            stop_by = stop_by_;
        }
        const Clock::time_point now = Clock::now();
        const bool idle = batch_.empty() && events_.empty() && hosts_.empty();
        if (stopping && (idle || now >= stop_by)) break;
        if (conn_ != nullptr && now >= retention_due_ && !drop_old_partitions()) {
            conn_.reset();
            retry_at = Clock::now() + std::chrono::milliseconds(backoff_.failed());
            continue;
        }
        if (idle) continue;
        if (conn_ == nullptr) {
            if (now < retry_at) continue;
            if (!connect()) {
                retry_at = Clock::now() + std::chrono::milliseconds(backoff_.failed());
                continue;
            }
        }
        if ((events_.empty() || write_events()) && (hosts_.empty() || write_hosts()) &&
            (batch_.empty() || write_chunk())) {
            backoff_.succeeded();
        } else {
            conn_.reset();
            retry_at = Clock::now() + std::chrono::milliseconds(backoff_.failed());
        }
        std::lock_guard lock(mutex_);
        stats_.waiting = batch_.waiting() + incoming_.points.size();
        stats_.connected = conn_ != nullptr;
    }
    std::size_t left = batch_.drop_all();
    std::size_t events_left = events_.size();
    {
        std::lock_guard lock(mutex_);
        left += incoming_.points.size();
        events_left += incoming_events_.size();
        incoming_.clear();
        incoming_events_.clear();
        stats_.dropped += left;
        stats_.events_dropped += events_left;
        stats_.waiting = 0;
        stats_.connected = false;
    }
    conn_.reset();
    if (left > 0 || events_left > 0)
        log_error(
            "postgres: {} points and {} events not written by the end of the shutdown "
            "budget, dropped",
            left, events_left);
}

bool PostgresWriter::connect() noexcept {
    try {
        auto c = std::make_unique<PgConnection>(conninfo_, kConnectTimeoutS);
        const bool timescale = c->exec(timescale_present_sql()).rows() > 0;
        c->exec(fmt::format("BEGIN;SELECT pg_advisory_xact_lock({})", kSchemaLockKey));
        c->exec(schema_bootstrap_sql());
        const int version = parse_number<int>(
            c->exec("SELECT coalesce(max(version), 0) FROM beat.schema_version").text(0, 0));
        for (const Migration& m : schema_migrations(timescale)) {
            if (m.version <= version) continue;
            c->exec(m.sql);
            c->exec(
                fmt::format("INSERT INTO beat.schema_version (version) VALUES ({})", m.version));
            log_info("postgres: schema beat migrated to version {}{}", m.version,
                     timescale ? " (timescaledb hypertable)" : "");
        }
        c->exec("COMMIT");
        if (version > schema_latest_version())
            log_warn("postgres: schema beat is at version {}, newer than this server's {}", version,
                     schema_latest_version());
        // Partitions are the writer's to create only when the points are natively partitioned.
        partitioned_ =
            c->exec(
                 "SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'beat.point_rows'::regclass")
                .rows() > 0;
        timescale_ = !partitioned_ && timescale;
        c->prepare(kInsertPoints, insert_points_sql());
        c->prepare(kInsertEvents, insert_events_sql());
        c->prepare(kUpsertHosts, upsert_hosts_sql());
        conn_ = std::move(c);
        partitions_.clear();
        retention_due_ = Clock::now();  // Checked at once.
        std::lock_guard lock(mutex_);
        if (ever_connected_) ++stats_.reconnects;
        ever_connected_ = true;
        stats_.connected = true;
        return true;
    } catch (const std::exception& e) {
        failed(fmt::format("connect: {}", e.what()));
        return false;
    }
}

bool PostgresWriter::drop_old_partitions() noexcept {
    retention_due_ = Clock::now() + kRetentionPeriod;
    try {
        const std::int64_t now_s = unix_now_ms() / 1000;
        if (timescale_) {
            conn_->exec(drop_chunks_sql(now_s, retention_s_));
            return true;
        }
        if (!partitioned_) return true;
        std::vector<std::string> names;
        const PgResult r = conn_->exec(list_partitions_sql());
        for (int i = 0; i < r.rows(); ++i)
            names.emplace_back(r.text(i, 0));
        const std::vector<std::string> old = partitions_to_drop(names, now_s, retention_s_);
        if (old.empty()) return true;
        conn_->exec(drop_partitions_sql(old));
        for (const std::string& name : old)
            std::erase(partitions_, *partition_day(name));
        log_info("postgres: dropped {} partitions older than the retention of {}s: {}", old.size(),
                 retention_s_, fmt::join(old, ","));
        return true;
    } catch (const std::exception& e) {
        failed(fmt::format("retention: {}", e.what()));
        if (!conn_->ok()) return false;
        try {
            conn_->exec("ROLLBACK");
            return true;
        } catch (const std::exception&) {
            return false;
        }
    }
}

void PostgresWriter::ensure_partitions(const std::vector<PointBatch::Row>& rows) {
    if (!partitioned_) return;
    const std::int64_t today = day_of(unix_now_ms() / 1000);
    std::vector<std::int64_t> days = {today, today + 1};
    for (const PointBatch::Row& r : rows) {
        const std::int64_t d = day_of(r.timestamp);
        if (d >= today - kPartitionDaysBack && d <= today + 1) days.push_back(d);
    }
    std::sort(days.begin(), days.end());
    days.erase(std::unique(days.begin(), days.end()), days.end());
    for (std::int64_t d : days) {
        if (std::find(partitions_.begin(), partitions_.end(), d) != partitions_.end()) continue;
        try {
            conn_->exec(create_partition_sql(d));
        } catch (const PgError& e) {
            if (!conn_->ok()) throw;
            // Rows of that day already sit in the default partition: they stay there.
            conn_->exec("ROLLBACK");
            log_warn("postgres: partition {} not created, its points go to point_rows_other: {}",
                     partition_name(d), e.what());
        }
        partitions_.push_back(d);
    }
}

void PostgresWriter::learn_series(const std::vector<PointBatch::Row>& rows) {
    std::unordered_map<std::string, std::uint64_t> missing;
    for (const PointBatch::Row& r : rows)
        if (!series_ids_.contains(r.key_id)) missing.emplace(batch_.key_name(r.key_id), r.key_id);
    // A key another server adds at the same moment may be missed once: asked again, it is seen.
    for (int attempt = 0; attempt < 3 && !missing.empty(); ++attempt) {
        std::vector<std::string> names;
        names.reserve(missing.size());
        for (const auto& [name, id] : missing)
            names.push_back(name);
        const PgResult r = conn_->exec_params(upsert_series_sql(), {text_array(names)});
        for (int i = 0; i < r.rows(); ++i) {
            auto it = missing.find(std::string(r.text(i, 1)));
            if (it == missing.end()) continue;
            series_ids_[it->second] = parse_number<std::int64_t>(r.text(i, 0));
            missing.erase(it);
        }
    }
    if (!missing.empty()) throw PgError("beat.series did not return every key added");
}

bool PostgresWriter::write_chunk() noexcept {
    try {
        const std::size_t raw = std::min(kChunkRows, batch_.waiting());
        const std::vector<PointBatch::Row> rows = batch_.chunk(kChunkRows);
        ensure_partitions(rows);
        learn_series(rows);
        std::vector<SeriesRow> numbered;
        numbered.reserve(rows.size());
        for (const PointBatch::Row& r : rows)
            numbered.push_back({series_ids_.at(r.key_id), r.timestamp, r.value});
        const SeriesPoints points = series_points(std::move(numbered));
        if (!copy_points(points)) {
            conn_->exec_prepared_binary(kInsertPoints, {int8_array_binary(points.series),
                                                        timestamptz_array_binary(points.unix_s),
                                                        float8_array_binary(points.values)});
            method_.upserted();
        }
        batch_.written(raw);
        std::lock_guard lock(mutex_);
        stats_.rows_written += points.series.size();
        ++stats_.batches;
        return true;
    } catch (const std::exception& e) {
        failed(e.what());
        return false;
    }
}

bool PostgresWriter::copy_points(const SeriesPoints& points) {
    if (!method_.copy()) return false;
    try {
        conn_->copy_in(copy_points_sql(),
                       copy_binary_points(points.series, points.unix_s, points.values));
        return true;
    } catch (const PgError& e) {
        if (e.sqlstate() != kUniqueViolation || !conn_->ok()) throw;
        method_.refused();
        return false;
    }
}

bool PostgresWriter::write_hosts() noexcept {
    try {
        std::vector<std::int64_t> times;
        std::vector<std::string> names, states, addresses, details;
        for (const auto& [name, h] : hosts_) {
            names.push_back(h.host);
            states.push_back(h.state);
            times.push_back(h.last_seen_unix_ms);
            addresses.push_back(h.address);
            details.push_back(h.detail);
        }
        conn_->exec_params(kUpsertHosts,
                           {server_, text_array(names), text_array(states), int_array(times),
                            text_array(addresses), text_array(details)},
                           true);
        hosts_.clear();
        return true;
    } catch (const std::exception& e) {
        failed(e.what());
        return false;
    }
}

bool PostgresWriter::write_events() noexcept {
    try {
        std::vector<std::int64_t> times;
        std::vector<std::string> hosts, kinds, addresses, details;
        for (const EventRow& e : events_) {
            times.push_back(e.unix_ms);
            hosts.push_back(e.host);
            kinds.push_back(e.event);
            addresses.push_back(e.address);
            details.push_back(e.detail);
        }
        conn_->exec_params(kInsertEvents,
                           {int_array(times), server_, text_array(hosts), text_array(kinds),
                            text_array(addresses), text_array(details)},
                           true);
        std::lock_guard lock(mutex_);
        stats_.events_written += events_.size();
        events_.clear();
        return true;
    } catch (const std::exception& e) {
        failed(e.what());
        return false;
    }
}

void PostgresWriter::failed(const std::string& what) noexcept {
    log_error("postgres: {}", what);
    std::lock_guard lock(mutex_);
    ++stats_.failures;
    stats_.last_error = what;
}

}  // namespace beat
