#include "beat_server/io/storage/storage_writer.hpp"

#include <sqlite3.h>

#include <chrono>

#include "common/log.hpp"
#include "common/uv/handle.hpp"

namespace beat {
namespace {

constexpr auto kFirstRetryPause = std::chrono::milliseconds(50);
constexpr auto kMaxRetryPause = std::chrono::milliseconds(2000);
// While stopping, a batch that keeps failing is retried this long before it is given up: the
// batch being written and the last one each get it, which keeps the whole shutdown (3 s of grace
// for unread replies included) under 5 s.
constexpr auto kStopRetryBudget = std::chrono::milliseconds(600);
// After a failed compaction step, the next is tried this much later (Unix seconds).
constexpr std::int64_t kCompactionRetryS = 60;

}  // namespace

StorageWriter::StorageWriter(uv_loop_t* loop, std::unique_ptr<Database> db,
                             std::function<void(std::uint64_t)> on_commit)
    : db_(std::move(db)), on_commit_(std::move(on_commit)) {
    async_ = UvHandle<uv_async_t>(uv_async_init, loop, "async init", &StorageWriter::on_async);
    async_->data = this;
    thread_ = std::thread([this] { run(); });
}

StorageWriter::~StorageWriter() {
    StorageBatch none;
    close(none);
}

void StorageWriter::submit(StorageBatch& batch) {
    {
        std::lock_guard lock(mutex_);
        std::swap(pending_, batch);
        pending_.generation = next_generation_++;
        has_pending_ = true;
    }
    in_flight_ = true;
    wake_.notify_one();
}

void StorageWriter::on_async(uv_async_t* a) noexcept {
    auto* self = static_cast<StorageWriter*>(a->data);
    {
        std::lock_guard lock(self->mutex_);
        if (!self->done_) return;
        self->done_ = false;
    }
    self->in_flight_ = false;
    self->committed_ = self->next_generation_ - 1;
    try {
        self->on_commit_(self->committed_);
    } catch (const std::exception& e) {
        log_error("storage commit notification: {}", e.what());
    }
}

void StorageWriter::run() noexcept {
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return has_pending_ || stop_; });
        if (!has_pending_) return;
        lock.unlock();
        write_with_retries(pending_);
        const std::int64_t now_s = pending_.accepted_s;
        pending_.clear();
        lock.lock();
        has_pending_ = false;
        done_ = true;
        uv_async_send(async_.get());
        // Between two batches, once the commit is reported: the next batch waits for the step.
        if (!stop_) {
            lock.unlock();
            compact(now_s);
            lock.lock();
        }
    }
}

void StorageWriter::compact(std::int64_t now_s) noexcept {
    if (now_s < compaction_retry_s_ || !db_->compaction_due(now_s)) return;
    const auto started = std::chrono::steady_clock::now();
    try {
        const CompactionResult r = db_->compact();
        const auto took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - started)
                                 .count();
        log_info(
            "storage: compacted {} points of {} segments into {} chunks holding {} points in {} "
            "bytes in {} ms",
            r.points, r.segments, r.chunks, r.kept, r.bytes, took_ms);
    } catch (const std::exception& e) {
        compaction_retry_s_ = now_s + kCompactionRetryS;
        log_warn("storage: compaction failed, the segments stay as they are: {}", e.what());
    }
}

bool StorageWriter::write_with_retries(const StorageBatch& batch) noexcept {
    auto pause = kFirstRetryPause;
    std::chrono::steady_clock::time_point stop_seen{};
    for (;;) {
        try {
            db_->write(batch);
            return true;
        } catch (const std::exception& e) {
            const int code = dynamic_cast<const StorageError*>(&e) != nullptr
                                 ? static_cast<const StorageError&>(e).code()
                                 : SQLITE_ERROR;
            std::unique_lock lock(mutex_);
            ++failures_;
            const bool stopping = stop_;
            const auto now = std::chrono::steady_clock::now();
            if (stopping && stop_seen == std::chrono::steady_clock::time_point{}) stop_seen = now;
            if (stopping && now - stop_seen >= kStopRetryBudget) {
                log_error("storage: giving up batch {} at shutdown ({} points): {}",
                          batch.generation, batch.journal.points.size(), e.what());
                return false;
            }
            log_warn("storage: batch {} failed (failures={}{}), retrying in {}ms: {}",
                     batch.generation, failures_.load(),
                     (code & 0xff) == SQLITE_FULL ? " disk_full" : "", pause.count(), e.what());
            // Woken early by close(), which shortens the wait to the stop budget.
            wake_.wait_for(lock, pause, [&] { return stop_ && !stopping; });
            pause = std::min(pause * 2, kMaxRetryPause);
        }
    }
}

void StorageWriter::close(StorageBatch& last) {
    if (!thread_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
    {
        std::lock_guard lock(mutex_);
        done_ = false;
    }
    in_flight_ = false;
    if (!last.empty()) {
        last.generation = next_generation_++;
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        write_with_retries(last);
        last.clear();
    }
    committed_ = next_generation_ - 1;
    db_.reset();
    async_.close();
}

}  // namespace beat
