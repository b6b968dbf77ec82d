// The storage writer: a thread that writes batches to the database, one transaction per batch,
// so the event loop never waits on the disk. The loop hands over at most one batch at a time
// (the queue is one batch deep: what arrives meanwhile gathers in the next batch, which is what
// makes one commit cover every put that came in during the previous one) and hears of each
// commit through a uv_async handle. Between two batches the thread runs a step of the database's
// compaction when one is due (Database::compaction_due).
#pragma once

#include <uv.h>

#include <atomic>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "beat_server/io/storage/database.hpp"
#include "common/uv/handle.hpp"

namespace beat {

class StorageWriter {
  public:
    // Takes the database (nobody else may use it from now on) and starts the thread.
    // `on_commit(generation)` runs on the loop thread after the batch with that number and every
    // earlier one are on disk. Throws UvError when the async handle cannot be set up.
    StorageWriter(uv_loop_t* loop, std::unique_ptr<Database> db,
                  std::function<void(std::uint64_t)> on_commit);
    StorageWriter(const StorageWriter&) = delete;
    StorageWriter& operator=(const StorageWriter&) = delete;
    ~StorageWriter();  // close() if not done yet.

    // True when no batch is being written: submit() may be called.
    bool idle() const noexcept { return !in_flight_; }
    // Hands `batch` to the thread as number next_generation() and gives back in `batch` an empty
    // one with spare capacity (no allocation per batch in the steady state). Requires idle().
    void submit(StorageBatch& batch);
    // The number the next submitted batch will get; a put journalled now is durable once
    // on_commit reports this number.
    std::uint64_t next_generation() const noexcept { return next_generation_; }
    std::uint64_t committed() const noexcept { return committed_; }

    // Waits for the batch being written, writes `last` (if not empty) from the calling thread,
    // stops the thread, closes the database and the async handle. A batch that keeps failing is
    // given up after 0.6 s, with an error logged. Safe to call twice.
    void close(StorageBatch& last);

    std::uint64_t failures() const noexcept { return failures_.load(std::memory_order_relaxed); }

  private:
    static void on_async(uv_async_t* a) noexcept;
    void run() noexcept;
    // Writes `batch`, retrying failures (a full disk) with a growing pause; gives up only when
    // stopping and the retries have taken more than 0.6 s. Writer thread only.
    bool write_with_retries(const StorageBatch& batch) noexcept;
    // Runs a step of the database's compaction when it is due at `now_s` (Unix seconds), and logs
    // what it did. A failed step is logged and not retried for a minute. Writer thread only.
    void compact(std::int64_t now_s) noexcept;

    std::unique_ptr<Database> db_;
    std::function<void(std::uint64_t)> on_commit_;
    UvHandle<uv_async_t> async_;
    std::thread thread_;

    // Shared with the thread, under mutex_.
    std::mutex mutex_;
    std::condition_variable wake_;
    StorageBatch pending_;      // The batch handed over; the thread empties it once written.
    bool has_pending_ = false;  // pending_ is waiting for the thread.
    bool done_ = false;         // The thread finished pending_; the loop has not seen it yet.
    bool stop_ = false;
    std::atomic<std::uint64_t> failures_{0};  // Failed attempts (each logged); read by the loop.

    // Writer thread only.
    std::int64_t compaction_retry_s_ = INT64_MIN;  // No compaction step before this.

    // Loop thread only.
    bool in_flight_ = false;
    std::uint64_t next_generation_ = 1;
    std::uint64_t committed_ = 0;
};

}  // namespace beat
