#include "beat_server/io/postgres/postgres_sink.hpp"

#include "common/log.hpp"

namespace beat {

PostgresSink::PostgresSink(uv_loop_t* loop, const PostgresSettings& settings, Store& store)
    : loop_(loop), store_(store) {
    std::vector<std::pair<std::uint64_t, std::string>> keys;
    keys.reserve(store.key_count());
    for (const Store::Entry* e : store.entries())
        if (e != nullptr) keys.emplace_back(e->second.id(), e->first);
    writer_ = std::make_unique<PostgresWriter>(settings.conninfo, settings.max_waiting_points,
                                               std::move(keys));
    batch_timer_ = UvHandle<uv_timer_t>(uv_timer_init, loop, "timer init");
    batch_timer_->data = this;
    const auto period = static_cast<std::uint64_t>(settings.batch_ms);
    uv_timer_start(batch_timer_.get(), &PostgresSink::on_batch_timer, period, period);
    check_ = UvHandle<uv_check_t>(uv_check_init, loop, "check init");
    check_->data = this;
    uv_check_start(check_.get(), &PostgresSink::on_check);
    uv_unref(check_.base());
    store.set_tap(&tap_);
}

PostgresSink::~PostgresSink() {
    close();
}

void PostgresSink::on_batch_timer(uv_timer_t* t) noexcept {
    static_cast<PostgresSink*>(t->data)->submit();
}

void PostgresSink::on_check(uv_check_t* c) noexcept {
    auto* self = static_cast<PostgresSink*>(c->data);
    if (self->tap_.points.size() >= PostgresWriter::kChunkRows) self->submit();
}

void PostgresSink::submit() noexcept {
    if (tap_.empty()) return;
    try {
        const std::size_t dropped = writer_->submit(tap_);
        const auto now = static_cast<std::int64_t>(uv_now(loop_));
        if (dropped > 0 && now - last_drop_log_ms_ >= 60'000) {
            last_drop_log_ms_ = now;
            log_error("postgres: too many points waiting for the database, dropped_points={}",
                      writer_->stats().dropped);
        }
    } catch (const std::exception& e) {
        log_error("postgres: {}", e.what());
    }
}

void PostgresSink::close() noexcept {
    if (closed_) return;
    closed_ = true;
    store_.set_tap(nullptr);
    batch_timer_.close();
    check_.close();
    try {
        writer_->close(tap_, std::chrono::milliseconds(kCloseBudgetMs));
        const PostgresStats s = writer_->stats();
        log_info("postgres: closed after {} rows in {} batches, dropped={} failures={}",
                 s.rows_written, s.batches, s.dropped, s.failures);
    } catch (const std::exception& e) {
        log_error("postgres: {}", e.what());
    }
}

}  // namespace beat
