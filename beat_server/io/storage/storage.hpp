// Persistence on the loop: opens the database and loads what the retention keeps, then feeds the
// storage writer the store's journal and the hosts' state in batches. Never waits on the disk
// except at start (loading) and at the very end (the last batch).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "beat_server/core/config/server_config.hpp"
#include "beat_server/core/ingest/monitor.hpp"
#include "beat_server/core/store/store.hpp"
#include "beat_server/io/storage/storage_writer.hpp"
#include "common/uv/handle.hpp"
#include "common/uv/unix_clock.hpp"

namespace beat {

class Storage {
  public:
    // How often a batch is handed to the writer in batch mode (at least once a second is the
    // promise), and how often the hosts' state is recorded.
    static constexpr std::uint64_t kFlushIntervalMs = 200;
    static constexpr std::int64_t kHostSnapshotIntervalMs = 1000;
    // Batch mode: points waiting beyond this while the writer cannot keep up (a full disk) are
    // dropped, counted and logged, so memory stays bounded.
    static constexpr std::size_t kMaxWaitingPoints = 4'000'000;

    // Opens config.data_dir/beat.db, loads the points the retention keeps into `store` and reads
    // the hosts kept (restore_hosts() hands them to `monitor`), then starts journalling.
    // `on_commit(generation)` runs on the loop after each commit. Throws StorageError (a clear
    // message naming the file) when the database cannot be used, UvError on libuv failures; the
    // handles and the writer opened by then are closed.
    Storage(uv_loop_t* loop, const ServerConfig& config, Store& store, Monitor& monitor,
            std::function<void(std::uint64_t)> on_commit);
    Storage(const Storage&) = delete;
    Storage& operator=(const Storage&) = delete;
    ~Storage();  // close() if not done yet.

    // Restores the hosts read at construction into the monitor, each up with one full timeout of
    // grace counted from the loop's time at this call, so however long the load took no restored
    // host is reported silent before it has had a timeout to beat again. Call it once, right
    // before the beats start to be read (after the UDP port is bound, before the loop runs).
    void restore_hosts();

    // The generation a put journalled now must wait for before it is acknowledged: always in
    // sync mode; in batch mode only while the writer is behind (changes older than
    // kMaxUncommittedMs not yet committed), which holds replies and so slows the clients down
    // to what the disk takes, keeping the promise that a crash loses at most a second. 0: none.
    std::uint64_t ack_generation() const noexcept;
    static constexpr std::int64_t kMaxUncommittedMs = 500;

    // Writes every pending change and the state of every host, closes the database and the
    // handles. Blocks until the last commit (bounded: see StorageWriter::close). Safe to call
    // twice.
    void close() noexcept;

    std::uint64_t commits() const noexcept { return writer_->committed(); }
    std::uint64_t failures() const noexcept { return writer_->failures(); }
    std::uint64_t dropped_points() const noexcept { return dropped_points_; }

  private:
    static void on_flush_timer(uv_timer_t* t) noexcept;
    static void on_check(uv_check_t* c) noexcept;
    void committed(std::uint64_t generation) noexcept;
    // Hands the batch to the writer when it is idle and there is something to write.
    void submit_if_idle() noexcept;
    // Stamps the batch with its acceptance time, now, and lets it drop from disk the segments
    // the retention no longer keeps.
    void stamp() noexcept;
    // Adds the state of the hosts heard or with a new transition since the last call (every host
    // when `all`), with their transitions when those changed.
    void snapshot_hosts(bool all);
    std::int64_t now_ms() const noexcept { return static_cast<std::int64_t>(uv_now(loop_)); }

    uv_loop_t* loop_;
    Store& store_;
    Monitor& monitor_;
    bool sync_;
    std::function<void(std::uint64_t)> on_commit_;
    std::vector<HostSnapshot> loaded_hosts_;  // Read at start, until restore_hosts().
    StorageBatch batch_;                      // The store journals into batch_.journal.
    std::unique_ptr<StorageWriter> writer_;
    UvHandle<uv_timer_t> flush_timer_;
    UvHandle<uv_check_t> check_;  // Sync mode: submits at the end of every loop iteration.
    std::int64_t last_host_snapshot_ms_ = 0;
    // When the journal of the batch being written, and of the one gathering, began.
    std::int64_t in_flight_since_ms_ = 0;
    std::int64_t gathering_since_ms_ = 0;
    std::uint64_t dropped_points_ = 0;
    std::int64_t last_drop_log_ms_ = -60'000;
    bool closed_ = false;
};

}  // namespace beat
