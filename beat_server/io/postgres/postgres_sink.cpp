#include "beat_server/io/postgres/postgres_sink.hpp"

#include <unistd.h>

#include <cstdio>

#include "common/log.hpp"
#include "common/uv/unix_clock.hpp"

namespace beat {
namespace {

// HOSTNAME:PORT, the port taken from the heartbeat endpoint.
std::string server_name(std::string_view udp_bound) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "beat");
    const auto colon = udp_bound.rfind(':');
    return std::string(host) +
           std::string(colon == std::string_view::npos ? "" : udp_bound.substr(colon));
}

}  // namespace

PostgresSink::PostgresSink(uv_loop_t* loop, const PostgresSettings& settings, Store& store,
                           const Monitor& monitor, std::string_view udp_bound)
    : loop_(loop), store_(store), monitor_(monitor) {
    std::vector<std::pair<std::uint64_t, std::string>> keys;
    keys.reserve(store.key_count());
    for (const Store::Entry* e : store.entries())
        if (e != nullptr) keys.emplace_back(e->second.id(), e->first);
    writer_ = std::make_unique<PostgresWriter>(settings.conninfo, server_name(udp_bound),
                                               settings.max_waiting_points,
                                               store.limits().retention_s, std::move(keys));
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

void PostgresSink::on_event(const Event& event) {
    if (closed_) return;
    const auto now = static_cast<std::int64_t>(uv_now(loop_));
    const std::int64_t offset = unix_now_ms() - now;
    std::optional<EventRow> row = event_row(event, offset);
    if (!row) return;
    if (const auto* f = std::get_if<HostForgotten>(&event)) {
        hosts_.push_back(
            {row->host, "forgotten", f->at_ms - f->silent_for_ms + offset, row->address, "{}"});
    } else if (const HostRecord* h = monitor_.registry().find(row->host)) {
        hosts_.push_back(host_row(*h, offset));
    }
    events_.push_back(std::move(*row));
}

void PostgresSink::record_hosts(std::int64_t now_ms, std::int64_t offset_ms) {
    const std::int64_t since = hosts_recorded_ms_;
    monitor_.registry().for_each([&](const HostRecord& h) {
        if (h.last_seen_ms >= since) hosts_.push_back(host_row(h, offset_ms));
    });
    hosts_recorded_ms_ = now_ms;
}

void PostgresSink::submit() noexcept {
    try {
        const auto now = static_cast<std::int64_t>(uv_now(loop_));
        if (now - hosts_recorded_ms_ >= kHostsIntervalMs) record_hosts(now, unix_now_ms() - now);
        writer_->submit_hosts(hosts_);
        if (tap_.empty() && events_.empty()) return;
        if (writer_->submit_events(events_) > 0)
            log_error("postgres: too many host events waiting for the database, dropped={}",
                      writer_->stats().events_dropped);
        const std::size_t dropped = writer_->submit(tap_);
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
        const auto now = static_cast<std::int64_t>(uv_now(loop_));
        record_hosts(now, unix_now_ms() - now);
        writer_->submit_hosts(hosts_);
        writer_->submit_events(events_);
        writer_->close(tap_, std::chrono::milliseconds(kCloseBudgetMs));
        const PostgresStats s = writer_->stats();
        log_info(
            "postgres: closed after {} rows in {} batches and {} events, dropped={} "
            "events_dropped={} failures={}",
            s.rows_written, s.batches, s.events_written, s.dropped, s.events_dropped, s.failures);
    } catch (const std::exception& e) {
        log_error("postgres: {}", e.what());
    }
}

}  // namespace beat
