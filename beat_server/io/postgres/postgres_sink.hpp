// The PostgreSQL sink on the loop: every point the store keeps reaches the schema beat through
// the store's tap journal, and every host event (new, silent, back, ...) reaches beat.host_events
// as an event sink; both are handed to the PostgreSQL writer's thread every --postgres-batch (or
// as soon as a full chunk has gathered), so the loop never waits on the database.
//
// What an acknowledged put promises with --postgres: the local store (and SQLite, per
// --durability) holds it at once; PostgreSQL receives it within about one batch period while the
// database is reachable, and otherwise once it is back, unless the points waiting exceed
// PostgresSettings::max_waiting_points or the server stops before it could write them: then it is
// counted as dropped (beat_postgres_dropped_points_total, the stopped line) and logged, never lost
// silently.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>

#include "beat_server/core/config/server_config.hpp"
#include "beat_server/core/ingest/events.hpp"
#include "beat_server/core/ingest/monitor.hpp"
#include "beat_server/core/store/store.hpp"
#include "beat_server/io/postgres/postgres_writer.hpp"
#include "common/uv/handle.hpp"

namespace beat {

class PostgresSink : public EventSink {
  public:
    // What the writer may spend at shutdown on the points still waiting, within the server's
    // 5 s budget.
    static constexpr std::int64_t kCloseBudgetMs = 3000;

    // How often the hosts heard since the last time are recorded in beat.hosts (a host's change
    // of state is recorded with the next batch).
    static constexpr std::int64_t kHostsIntervalMs = 5000;

    // Starts the writer (which connects on its own thread: an unreachable database does not
    // stop the server from starting) and attaches to `store`'s tap; `monitor`'s hosts are
    // recorded in beat.hosts. `udp_bound` (the heartbeat endpoint, ADDR:PORT) names this server
    // in the database, as HOSTNAME:PORT. `store` and `monitor` must outlive the sink. Throws
    // UvError.
    PostgresSink(uv_loop_t* loop, const PostgresSettings& settings, Store& store,
                 const Monitor& monitor, std::string_view udp_bound);
    PostgresSink(const PostgresSink&) = delete;
    PostgresSink& operator=(const PostgresSink&) = delete;
    ~PostgresSink();  // close() if not done yet.

    // Hands over what is left, lets the writer write it for at most kCloseBudgetMs, stops it and
    // closes the handles. Safe to call twice.
    void close() noexcept;

    PostgresStats stats() const { return writer_->stats(); }

    // Keeps the host events for the next batch (the others are not the database's business).
    void on_event(const Event& event) override;

  private:
    static void on_batch_timer(uv_timer_t* t) noexcept;
    static void on_check(uv_check_t* c) noexcept;
    void submit() noexcept;
    // Every host heard since the last walk (every host at the first), their Unix time offset.
    void record_hosts(std::int64_t now_ms, std::int64_t offset_ms);

    uv_loop_t* loop_;
    Store& store_;
    const Monitor& monitor_;
    std::vector<HostRow> hosts_;
    // Loop time of the last walk over the hosts: the first walk takes them all.
    std::int64_t hosts_recorded_ms_ = -kHostsIntervalMs;
    StoreJournal tap_;
    std::vector<EventRow> events_;
    std::unique_ptr<PostgresWriter> writer_;
    UvHandle<uv_timer_t> batch_timer_;
    UvHandle<uv_check_t> check_;  // A full chunk goes at the end of the loop iteration.
    std::int64_t last_drop_log_ms_ = -60'000;
    bool closed_ = false;
};

}  // namespace beat
