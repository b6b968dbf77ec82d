#include "beat_server/io/storage/storage.hpp"

#include <chrono>

#include "common/log.hpp"
#include "common/uv/handle.hpp"

namespace beat {

Storage::Storage(uv_loop_t* loop, const ServerConfig& config, Store& store, Monitor& monitor,
                 std::function<void(std::uint64_t)> on_commit)
    : loop_(loop),
      store_(store),
      monitor_(monitor),
      sync_(config.durability == Durability::sync),
      on_commit_(std::move(on_commit)) {
    const std::int64_t now_s = unix_now_ms() / 1000;
    auto db = std::make_unique<Database>(config.data_dir, sync_, now_s);
    const auto started = std::chrono::steady_clock::now();
    const std::int64_t retention = config.limits.retention_s;
    const std::size_t points =
        db->load_points(store, retention > 0 ? now_s - retention : INT64_MIN);
    loaded_hosts_ = db->load_hosts();
    const auto took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - started)
                             .count();
    log_info("storage: loaded {} points under {} keys and {} hosts from {} in {} ms durability={}",
             points, store.key_count(), loaded_hosts_.size(), db->path(), took_ms,
             sync_ ? "sync" : "batch");
    // The loop's clock stood still while loading: the timers below count from now.
    uv_update_time(loop);
    last_host_snapshot_ms_ = now_ms();
    gathering_since_ms_ = now_ms();
    monitor.track_forgotten(true);

    writer_ = std::make_unique<StorageWriter>(
        loop, std::move(db), [this](std::uint64_t generation) { committed(generation); });
    flush_timer_ = UvHandle<uv_timer_t>(uv_timer_init, loop, "timer init");
    flush_timer_->data = this;
    uv_timer_start(flush_timer_.get(), &Storage::on_flush_timer, kFlushIntervalMs,
                   kFlushIntervalMs);
    if (sync_) {
        check_ = UvHandle<uv_check_t>(uv_check_init, loop, "check init");
        check_->data = this;
        uv_check_start(check_.get(), &Storage::on_check);
        uv_unref(check_.base());
    }
    store.set_journal(&batch_.journal);
}

void Storage::restore_hosts() {
    // Loading may have taken longer than a timeout: the grace counts from the loop's time now,
    // not from when the loop last looked at the clock.
    uv_update_time(loop_);
    const std::int64_t unix_ms = unix_now_ms();
    for (const HostSnapshot& h : loaded_hosts_)
        monitor_.restore(h, now_ms(), unix_ms);
    loaded_hosts_.clear();
    loaded_hosts_.shrink_to_fit();
}

Storage::~Storage() {
    close();
}

void Storage::on_flush_timer(uv_timer_t* t) noexcept {
    auto* self = static_cast<Storage*>(t->data);
    if (self->batch_.empty()) self->gathering_since_ms_ = self->now_ms();
    try {
        if (self->now_ms() - self->last_host_snapshot_ms_ >= kHostSnapshotIntervalMs) {
            self->snapshot_hosts(false);
        }
    } catch (const std::exception& e) {
        log_error("storage: host snapshot: {}", e.what());
    }
    if (!self->sync_ && !self->writer_->idle() &&
        self->batch_.journal.points.size() > kMaxWaitingPoints) {
        // The writer has fallen far behind (a full disk): keep memory bounded.
        self->dropped_points_ += self->batch_.journal.points.size();
        self->batch_.journal.drop_points();
        if (self->now_ms() - self->last_drop_log_ms_ >= 60'000) {
            self->last_drop_log_ms_ = self->now_ms();
            log_error("storage: the writer cannot keep up, dropped_points={} (kept in memory only)",
                      self->dropped_points_);
        }
    }
    self->submit_if_idle();
}

void Storage::on_check(uv_check_t* c) noexcept {
    static_cast<Storage*>(c->data)->submit_if_idle();
}

void Storage::submit_if_idle() noexcept {
    if (closed_ || !writer_->idle() || batch_.empty()) return;
    stamp();
    writer_->submit(batch_);
    in_flight_since_ms_ = gathering_since_ms_;
    gathering_since_ms_ = now_ms();
}

std::uint64_t Storage::ack_generation() const noexcept {
    if (sync_) return writer_->next_generation();
    const std::int64_t oldest = writer_->idle() ? gathering_since_ms_ : in_flight_since_ms_;
    return now_ms() - oldest > kMaxUncommittedMs ? writer_->next_generation() : 0;
}

void Storage::stamp() noexcept {
    const std::int64_t now_s = unix_now_ms() / 1000;
    const std::int64_t retention = store_.limits().retention_s;
    batch_.accepted_s = now_s;
    batch_.retention_cutoff = retention > 0 ? now_s - retention : INT64_MIN;
}

void Storage::committed(std::uint64_t generation) noexcept {
    // A large journal waiting goes at once rather than at the next tick.
    if (batch_.journal.size() >= 4096) submit_if_idle();
    if (on_commit_) on_commit_(generation);
}

void Storage::snapshot_hosts(bool all) {
    const std::int64_t now = now_ms();
    const std::int64_t unix_ms = unix_now_ms();
    const std::int64_t since = last_host_snapshot_ms_;
    monitor_.registry().for_each([&](const HostRecord& h) {
        const bool changed = h.transitions.last_at_ms() >= since;
        if (!all && !changed && h.last_seen_ms < since) return;
        batch_.hosts.push_back(Monitor::snapshot(h, now, unix_ms));
        // Unchanged transitions are not written again.
        if (!all && !changed) batch_.hosts.back().transitions.clear();
    });
    for (std::string& name : monitor_.take_forgotten())
        batch_.forgotten.push_back(std::move(name));
    last_host_snapshot_ms_ = now;
}

void Storage::close() noexcept {
    if (closed_) return;
    closed_ = true;
    store_.set_journal(nullptr);
    flush_timer_.close();
    check_.close();
    if (!writer_) return;
    try {
        snapshot_hosts(true);
    } catch (const std::exception& e) {
        log_error("storage: host snapshot: {}", e.what());
    }
    const std::size_t points = batch_.journal.points.size();
    stamp();
    writer_->close(batch_);
    log_info("storage: closed after {} commits, last batch {} points, failures={}",
             writer_->committed(), points, writer_->failures());
}

}  // namespace beat
