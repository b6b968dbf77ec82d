// The PostgreSQL writer: a thread that keeps the schema beat (pg_schema.hpp) and writes the
// store's points into it, so the event loop never waits on the database. The loop hands over the
// store's tap journal at each batch period; the thread writes what it has in chunks of up to
// kChunkRows rows, one binary COPY or upsert each (point_write_method.hpp). When the database is
// away the points wait, up to `max_waiting_points`, beyond which new ones are dropped and counted,
// and the thread reconnects with a backoff from 100 ms to 5 s.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "beat_server/core/sql/backoff.hpp"
#include "beat_server/core/sql/event_row.hpp"
#include "beat_server/core/sql/host_row.hpp"
#include "beat_server/core/sql/point_batch.hpp"
#include "beat_server/core/sql/point_write_method.hpp"
#include "beat_server/core/sql/series_points.hpp"
#include "beat_server/core/store/store_journal.hpp"

namespace beat {

class PgConnection;

// What the writer has done, read by the loop for /metrics and the stopped line.
struct PostgresStats {
    std::uint64_t rows_written = 0;    // Rows upserted (a row per key and second of each chunk).
    std::uint64_t batches = 0;         // Chunks written.
    std::uint64_t failures = 0;        // Failed connections and statements (each logged).
    std::uint64_t reconnects = 0;      // Connections made after the first.
    std::uint64_t dropped = 0;         // Points given up: queue full, or left at shutdown.
    std::uint64_t events_written = 0;  // Rows added to beat.host_events.
    std::uint64_t events_dropped = 0;  // Events given up: queue full, or left at shutdown.
    std::size_t waiting = 0;           // Points handed over and not yet written.
    bool connected = false;
    std::string last_error;  // Empty: none yet.
};

class PostgresWriter {
  public:
    static constexpr std::size_t kChunkRows = 50'000;
    static constexpr std::size_t kMaxWaitingEvents = 100'000;

    // How often the partitions older than the retention are looked for, besides at each
    // connection.
    static constexpr std::chrono::hours kRetentionPeriod{1};

    // Starts the thread, which connects with `conninfo` and creates or migrates the schema.
    // `keys` names the keys the store holds already (its tap is attached after this); `server`
    // names this server in beat.host_events and beat.hosts; daily partitions whose points are all
    // older than `retention_s` are dropped (partition_retention.hpp).
    PostgresWriter(std::string conninfo, std::string server, std::size_t max_waiting_points,
                   std::int64_t retention_s,
                   std::vector<std::pair<std::uint64_t, std::string>> keys);
    PostgresWriter(const PostgresWriter&) = delete;
    PostgresWriter& operator=(const PostgresWriter&) = delete;
    ~PostgresWriter();  // close(0) if not done yet.

    // Loop thread: takes the records of `journal` (leaving it empty). Its points beyond the limit
    // of waiting points, the newest, are dropped (its keys are kept); returns how many.
    std::size_t submit(StoreJournal& journal);
    // Loop thread: takes `events` (leaving it empty), dropping them (counted, and returned)
    // beyond kMaxWaitingEvents.
    std::size_t submit_events(std::vector<EventRow>& events);
    // Loop thread: takes `hosts` (leaving it empty); a host given again before it was written
    // replaces its earlier row.
    void submit_hosts(std::vector<HostRow>& hosts);

    // Writes what is waiting (after `last`, taken like submit()) for at most `budget`, then stops
    // the thread; points still waiting are dropped, counted and logged. Safe to call twice.
    void close(StoreJournal& last, std::chrono::milliseconds budget);

    PostgresStats stats() const;

  private:
    void run() noexcept;
    // Connects and sets the schema up; false (logged, counted) on failure.
    bool connect() noexcept;
    // Drops the partitions (or TimescaleDB chunks) wholly older than the retention; false when
    // the connection broke meanwhile (a refusal is logged and counted, and the writes go on).
    bool drop_old_partitions() noexcept;
    // Writes one chunk of the waiting rows; false (logged, counted) on failure.
    bool write_chunk() noexcept;
    // Writes the waiting events; false (logged, counted) on failure.
    bool write_events() noexcept;
    // Writes the waiting host rows; false (logged, counted) on failure.
    bool write_hosts() noexcept;
    // Sends `points` with COPY when the write method says so; false when the upsert must send
    // them (COPY refused for a point stored already, or not tried). Throws PgError.
    bool copy_points(const SeriesPoints& points);
    // The database's series ids of the keys of `rows` not known yet. Throws PgError.
    void learn_series(const std::vector<PointBatch::Row>& rows);
    // Creates the partitions of the days of `rows` near today that are not known yet. Throws.
    void ensure_partitions(const std::vector<PointBatch::Row>& rows);
    void failed(const std::string& what) noexcept;

    const std::string conninfo_;
    const std::string server_;
    const std::size_t max_waiting_;
    const std::int64_t retention_s_;

    // Writer thread only.
    std::unique_ptr<PgConnection> conn_;
    PointBatch batch_;
    std::vector<EventRow> events_;
    std::unordered_map<std::string, HostRow> hosts_;
    Backoff backoff_{100, 5000};
    PointWriteMethod method_;
    bool partitioned_ = false;  // Natively partitioned: the writer creates the partitions.
    bool timescale_ = false;    // A hypertable: retention drops its chunks.
    std::chrono::steady_clock::time_point retention_due_;
    bool ever_connected_ = false;
    std::unordered_map<std::uint64_t, std::int64_t> series_ids_;  // Store key id -> beat.series.
    std::vector<std::int64_t> partitions_;                        // Days whose partition exists.

    // Shared with the thread, under mutex_.
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    StoreJournal incoming_;
    std::vector<EventRow> incoming_events_;
    std::vector<HostRow> incoming_hosts_;
    bool stop_ = false;
    std::chrono::steady_clock::time_point stop_by_;
    PostgresStats stats_;
    std::atomic<std::size_t> waiting_{0};  // incoming_ + batch_ points.

    std::thread thread_;
};

}  // namespace beat
