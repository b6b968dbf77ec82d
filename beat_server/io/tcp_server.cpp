#include "beat_server/io/tcp_server.hpp"

#include <deque>

#include "beat_server/core/source_address.hpp"
#include "common/line_framer.hpp"
#include "common/log.hpp"
#include "common/protocol.hpp"
#include "common/uv/handle.hpp"
#include "common/uv/resolve.hpp"
#include "common/uv/uv_error.hpp"

namespace beat {
namespace {

constexpr std::size_t kReadBuffer = 64 * 1024;

}  // namespace

struct TcpServer::Connection {
    // Replies that must wait for a commit: each segment may go once `generation` has committed.
    struct Held {
        std::uint64_t generation;
        std::string bytes;
    };

    uv_tcp_t handle{};
    TcpServer* server = nullptr;
    std::list<Connection*>::iterator position;  // In server->connections_.
    std::uint64_t active_ms = 0;                // Loop time of the last activity.
    std::string in;  // Bytes read but not yet handled (an incomplete line, or lines held back).
    std::string peer;
    std::string address;  // The peer's IP, once counted in server->per_address_.
    std::deque<Held> held;
    std::size_t held_bytes = 0;
    bool reading = false;
    bool paused = false;              // Reading stopped because replies are queued.
    bool eof = false;                 // The client sent all it will send.
    bool close_when_flushed = false;  // Handle no more requests: close once replies are written.
    bool closing = false;
};

struct TcpServer::WriteReq {
    uv_write_t req{};
    Connection* conn = nullptr;
    std::string data;
};

TcpServer::TcpServer(uv_loop_t* loop, const Endpoint& at, const TcpLimits& limits,
                     Executor& executor, std::function<std::uint64_t()> durable_generation)
    : loop_(loop),
      limits_(limits),
      executor_(executor),
      read_buffer_(new char[kReadBuffer]),
      durable_generation_(std::move(durable_generation)) {
    const sockaddr_storage addr = resolve_for_bind(loop, at);
    listener_ = init_handle<uv_tcp_t>(uv_tcp_init, loop, "tcp init");
    listener_->data = this;
    int rc = uv_tcp_bind(listener_, reinterpret_cast<const sockaddr*>(&addr), 0);
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_), 511, &on_connection);
    if (rc < 0) {
        close_handle(listener_);
        throw UvError("cannot listen on TCP " + to_string(at) + ": " + uv_message(rc));
    }
    try {
        idle_timer_ = init_handle<uv_timer_t>(uv_timer_init, loop, "timer init");
    } catch (...) {
        close_handle(listener_);
        throw;
    }
    idle_timer_->data = this;
    sockaddr_storage bound{};
    int len = sizeof bound;
    uv_tcp_getsockname(listener_, reinterpret_cast<sockaddr*>(&bound), &len);
    bound_ = sockaddr_to_string(reinterpret_cast<const sockaddr*>(&bound));
}

TcpServer::~TcpServer() = default;

void TcpServer::on_connection(uv_stream_t* listener, int status) noexcept {
    auto* self = static_cast<TcpServer*>(listener->data);
    if (status < 0) {
        log_warn("tcp accept failed: {}", uv_message(status));
        return;
    }
    if (self->connections_.size() >= self->limits_.max_connections) {
        self->refuse(listener);
        return;
    }
    auto* c = new (std::nothrow) Connection;
    if (c == nullptr) return;
    c->server = self;
    if (uv_tcp_init(self->loop_, &c->handle) != 0) {
        delete c;
        return;
    }
    c->handle.data = c;
    try {
        c->position = self->connections_.insert(self->connections_.end(), c);
    } catch (const std::bad_alloc&) {
        uv_close(reinterpret_cast<uv_handle_t*>(&c->handle),
                 [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
        return;
    }
    c->active_ms = uv_now(self->loop_);
    auto* stream = reinterpret_cast<uv_stream_t*>(&c->handle);
    if (uv_accept(listener, stream) != 0 || !self->admit(*c)) {
        self->close(*c);
        return;
    }
    ++self->accepted_;
    uv_tcp_nodelay(&c->handle, 1);
    c->reading = uv_read_start(stream, &on_alloc, &on_read) == 0;
    if (!c->reading) {
        self->close(*c);
        return;
    }
    if (!uv_is_active(reinterpret_cast<uv_handle_t*>(self->idle_timer_))) self->arm_idle_timer();
}

bool TcpServer::admit(Connection& c) noexcept {
    sockaddr_storage peer{};
    int len = sizeof peer;
    // A connection reset before it was accepted has no peer; it is closed like a refused one.
    if (uv_tcp_getpeername(&c.handle, reinterpret_cast<sockaddr*>(&peer), &len) != 0) return false;
    const auto* sa = reinterpret_cast<const sockaddr*>(&peer);
    try {
        c.peer = sockaddr_to_string(sa);
        std::string ip = SourceAddress(sa).ip();
        std::size_t& open = per_address_[ip];
        if (open < limits_.max_per_address) {
            ++open;
            c.address = std::move(ip);
            return true;
        }
        ++refused_per_address_;
        const auto now = static_cast<std::int64_t>(uv_now(loop_));
        if (address_log_.allow(ip, now)) {
            log_warn(
                "tcp per-address connection limit reached: address={} "
                "max_connections_per_address={} refused_since_last_log={} refused_total={}",
                ip, limits_.max_per_address, address_log_.take_suppressed(ip) + 1,
                refused_per_address_);
        }
    } catch (const std::bad_alloc&) {
        log_error("tcp accept: out of memory");
    }
    return false;
}

void TcpServer::touch(Connection& c) noexcept {
    c.active_ms = uv_now(loop_);
    connections_.splice(connections_.end(), connections_, c.position);
}

void TcpServer::arm_idle_timer() noexcept {
    if (idle_timer_ == nullptr || limits_.idle_timeout_ms <= 0 || connections_.empty()) return;
    const std::uint64_t deadline =
        connections_.front()->active_ms + static_cast<std::uint64_t>(limits_.idle_timeout_ms);
    const std::uint64_t now = uv_now(loop_);
    uv_timer_start(idle_timer_, &on_idle_timer, deadline > now ? deadline - now : 0, 0);
}

void TcpServer::on_idle_timer(uv_timer_t* t) noexcept {
    auto* self = static_cast<TcpServer*>(t->data);
    const std::uint64_t now = uv_now(self->loop_);
    const auto timeout = static_cast<std::uint64_t>(self->limits_.idle_timeout_ms);
    while (!self->connections_.empty()) {
        Connection& c = *self->connections_.front();
        if (c.active_ms + timeout > now) break;
        if (!c.held.empty()) {
            // Its replies wait for a commit: it waits for the server, not the client.
            self->touch(c);
            continue;
        }
        ++self->closed_idle_;
        log_debug("tcp connection idle peer={} for={}ms: closing", c.peer, now - c.active_ms);
        self->close(c);
    }
    self->arm_idle_timer();
}

void TcpServer::refuse(uv_stream_t* listener) noexcept {
    // Accept and close at once: the newest connection is the one turned away, and the kernel's
    // backlog does not fill up with connections that will never be served.
    ++refused_;
    auto* h = new (std::nothrow) uv_tcp_t;
    if (h == nullptr || uv_tcp_init(loop_, h) != 0) {
        delete h;
        return;
    }
    uv_accept(listener, reinterpret_cast<uv_stream_t*>(h));
    uv_close(reinterpret_cast<uv_handle_t*>(h),
             [](uv_handle_t* p) { delete reinterpret_cast<uv_tcp_t*>(p); });
    const std::uint64_t now = uv_now(loop_);
    if (!refusal_logged_ || now - last_refusal_log_ms_ >= 60'000) {
        refusal_logged_ = true;
        last_refusal_log_ms_ = now;
        log_warn("tcp connection limit reached: max_connections={} refused_total={}",
                 limits_.max_connections, refused_);
    }
}

void TcpServer::on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) noexcept {
    auto* c = static_cast<Connection*>(h->data);
    // One buffer serves every connection: each read is handled completely in on_read before the
    // next read into it.
    *buf = uv_buf_init(c->server->read_buffer_.get(), kReadBuffer);
}

void TcpServer::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
    auto* c = static_cast<Connection*>(stream->data);
    TcpServer* self = c->server;
    if (nread == 0) return;
    if (nread < 0) {
        // End of requests (or a reset): answer what was complete, then close.
        uv_read_stop(stream);
        c->reading = false;
        if (nread != UV_EOF) {
            self->close(*c);
            return;
        }
        c->eof = true;
        self->maybe_finish(*c);
        return;
    }
    try {
        self->pump(*c, std::string_view(buf->base, static_cast<std::size_t>(nread)));
    } catch (const std::exception& e) {
        log_error("tcp request handling failed peer={}: {}", c->peer, e.what());
        self->close(*c);
    }
}

std::size_t TcpServer::queued(const Connection& c) noexcept {
    return uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&c.handle)) +
           c.held_bytes;
}

void TcpServer::pump(Connection& c, std::string_view fresh) {
    // Work straight from the read buffer when nothing is held back, else from the held bytes.
    if (!c.in.empty()) {
        c.in.append(fresh);
        fresh = {};
    }
    const std::string_view data = c.in.empty() ? fresh : std::string_view(c.in);
    std::string& out = out_;
    out.clear();
    std::size_t pos = 0;
    std::size_t first_put = std::string::npos;
    bool stop_reading = false;
    bool handled = false;
    while (!c.close_when_flushed) {
        if (queued(c) + out.size() >= kHighWater) {
            c.paused = true;
            stop_reading = true;
            break;
        }
        const Frame f = next_line(data.substr(pos));
        if (f.kind == Frame::Kind::need_more) break;
        if (f.kind == Frame::Kind::too_long) {
            executor_.too_long(out);
            log_warn("tcp request line too long peer={} limit={} bytes: closing", c.peer,
                     kMaxLineLength);
            c.close_when_flushed = true;
            stop_reading = true;
            pos = data.size();
            break;
        }
        const Request req = parse_request(f.line);
        if (req.kind == Request::Kind::put && first_put == std::string::npos) {
            first_put = out.size();
        }
        executor_.execute(req, out);
        handled = true;
        pos += f.consumed;
    }
    if (handled) touch(c);
    if (c.paused && !stop_reading) c.paused = false;
    // Keep what is left; `data` may point into c.in, so copy before replacing.
    if (data.data() == c.in.data() && !c.in.empty()) {
        c.in.erase(0, pos);
    } else {
        c.in.assign(data.substr(pos));
    }
    if (stop_reading && c.reading) {
        uv_read_stop(reinterpret_cast<uv_stream_t*>(&c.handle));
        c.reading = false;
    }
    if (!out.empty()) send_or_hold(c, out, first_put);
    maybe_finish(c);
}

void TcpServer::send_or_hold(Connection& c, std::string& out, std::size_t first_put) {
    // Every put executed in this pass went into the same batch; 0: they need not wait.
    const std::uint64_t generation =
        durable_generation_ && first_put != std::string::npos ? durable_generation_() : 0;
    if (c.held.empty() && generation == 0) {
        send(c, out);
        return;
    }
    std::string_view rest(out);
    if (c.held.empty()) {
        if (first_put > 0) {
            std::string head(out, 0, first_put);
            send(c, head);
            if (c.closing) return;
        }
        rest.remove_prefix(first_put);
        ++holding_;
        c.held.push_back({generation, std::string()});
    } else if (generation != 0 && c.held.back().generation != generation) {
        // Replies before the put wait with the earlier segment; the put starts a new one.
        c.held.back().bytes.append(rest.substr(0, first_put));
        c.held_bytes += first_put;
        rest.remove_prefix(first_put);
        c.held.push_back({generation, std::string()});
    }
    // Replies after a held one wait with it, whether or not they are puts.
    c.held.back().bytes.append(rest);
    c.held_bytes += rest.size();
}

void TcpServer::committed(std::uint64_t generation) noexcept {
    if (holding_ == 0) return;
    std::vector<Connection*> all(connections_.begin(), connections_.end());
    std::string ready;
    for (Connection* c : all) {
        if (c->held.empty() || c->held.front().generation > generation) continue;
        ready.clear();
        while (!c->held.empty() && c->held.front().generation <= generation) {
            ready += c->held.front().bytes;
            c->held_bytes -= c->held.front().bytes.size();
            c->held.pop_front();
        }
        if (c->held.empty()) --holding_;
        touch(*c);
        try {
            send(*c, ready);
            if (!c->closing) resume_if_drained(*c);
        } catch (const std::exception& e) {
            log_error("tcp request handling failed peer={}: {}", c->peer, e.what());
            close(*c);
        }
    }
}

void TcpServer::send(Connection& c, std::string& out) {
    auto* stream = reinterpret_cast<uv_stream_t*>(&c.handle);
    std::size_t off = 0;
    if (queued(c) == 0) {
        uv_buf_t b = uv_buf_init(out.data(), static_cast<unsigned>(out.size()));
        const int n = uv_try_write(stream, &b, 1);
        if (n > 0) off = static_cast<std::size_t>(n);
        if (n < 0 && n != UV_EAGAIN) {
            close(c);
            return;
        }
    }
    if (off == out.size()) return;
    auto* w = new WriteReq;
    w->conn = &c;
    w->data.assign(out, off);
    w->req.data = w;
    uv_buf_t b = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
    if (uv_write(&w->req, stream, &b, 1, &on_write) != 0) {
        delete w;
        close(c);
    }
}

void TcpServer::on_write(uv_write_t* req, int status) noexcept {
    auto* w = static_cast<WriteReq*>(req->data);
    Connection& c = *w->conn;
    delete w;
    TcpServer* self = c.server;
    if (c.closing) return;
    if (status < 0) {
        self->close(c);
        return;
    }
    self->touch(c);  // The client took replies.
    try {
        self->resume_if_drained(c);
    } catch (const std::exception& e) {
        log_error("tcp request handling failed peer={}: {}", c.peer, e.what());
        self->close(c);
    }
}

void TcpServer::resume_if_drained(Connection& c) {
    if (c.paused && queued(c) < kLowWater) {
        // The client caught up: handle the requests held back, then read again.
        pump(c, {});
        if (!c.paused && !c.eof && !c.close_when_flushed && !c.closing && !c.reading &&
            !shutting_down_) {
            c.reading =
                uv_read_start(reinterpret_cast<uv_stream_t*>(&c.handle), &on_alloc, &on_read) == 0;
        }
    }
    maybe_finish(c);
}

void TcpServer::maybe_finish(Connection& c) noexcept {
    const bool done = c.close_when_flushed || (c.eof && !c.paused);
    if (!c.closing && done && queued(c) == 0) close(c);
}

void TcpServer::close(Connection& c) noexcept {
    if (c.closing) return;
    c.closing = true;
    if (!c.held.empty()) --holding_;
    connections_.erase(c.position);
    if (!c.address.empty()) {
        const auto it = per_address_.find(c.address);
        if (--it->second == 0) per_address_.erase(it);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&c.handle), &on_close);
}

void TcpServer::on_close(uv_handle_t* h) noexcept {
    auto* c = static_cast<Connection*>(h->data);
    TcpServer* self = c->server;
    delete c;
    if (self->shutting_down_ && self->connections_.empty() && self->on_idle_) {
        auto done = std::move(self->on_idle_);
        self->on_idle_ = nullptr;
        done();
    }
}

void TcpServer::shutdown(std::function<void()> on_idle) {
    shutting_down_ = true;
    on_idle_ = std::move(on_idle);
    close_handle(listener_);
    close_handle(idle_timer_);
    // Copy: closing a connection removes it from the list.
    std::vector<Connection*> all(connections_.begin(), connections_.end());
    for (Connection* c : all) {
        if (c->reading) {
            uv_read_stop(reinterpret_cast<uv_stream_t*>(&c->handle));
            c->reading = false;
        }
        c->close_when_flushed = true;
        maybe_finish(*c);
    }
    if (connections_.empty() && on_idle_) {
        auto done = std::move(on_idle_);
        on_idle_ = nullptr;
        done();
    }
}

void TcpServer::close_all() noexcept {
    std::vector<Connection*> all(connections_.begin(), connections_.end());
    for (Connection* c : all)
        close(*c);
}

}  // namespace beat
