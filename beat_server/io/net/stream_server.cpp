#include "beat_server/io/net/stream_server.hpp"

#include <algorithm>
#include <cctype>
#include <csignal>
#include <vector>

#include <fmt/core.h>

#include "common/log.hpp"
#include "common/uv/handle.hpp"
#include "common/uv/resolve.hpp"
#include "common/uv/uv_error.hpp"

namespace beat {
namespace {

constexpr std::size_t kReadBuffer = 64 * 1024;
// libuv takes a buffer's length as an unsigned int: longer bytes go in pieces of this size.
constexpr std::size_t kMaxBuffer = std::size_t{1} << 30;

// `bytes` from `offset` on, as buffers that each fit libuv's unsigned int length.
std::vector<uv_buf_t> buffers(std::string& bytes, std::size_t offset) {
    std::vector<uv_buf_t> out;
    for (std::size_t pos = offset; pos < bytes.size(); pos += kMaxBuffer) {
        const std::size_t n = std::min(kMaxBuffer, bytes.size() - pos);
        out.push_back(uv_buf_init(bytes.data() + pos, static_cast<unsigned>(n)));
    }
    return out;
}

}  // namespace

struct StreamServer::WriteReq {
    uv_write_t req{};
    Connection* conn = nullptr;
    std::string data;
};

StreamServer::StreamServer(uv_loop_t* loop, const Endpoint& at, std::string_view protocol,
                           std::size_t max_connections, std::int64_t idle_timeout_ms)
    : loop_(loop),
      protocol_(protocol),
      max_connections_(max_connections),
      idle_timeout_ms_(idle_timeout_ms),
      read_buffer_(new char[kReadBuffer]) {
    // A client that leaves while replies are queued for it makes the next write fail with EPIPE,
    // which also raises SIGPIPE, whose default action ends the process. libuv writes with
    // write(2), which takes no MSG_NOSIGNAL: the signal is ignored, and the write's error closes
    // the connection.
    ::signal(SIGPIPE, SIG_IGN);
    const sockaddr_storage addr = resolve_for_bind(loop, at);
    // From here on a throw leaves listener_ and idle_timer_ to close what was opened.
    listener_ = UvHandle<uv_tcp_t>(uv_tcp_init, loop, "tcp init");
    listener_->data = this;
    int rc = uv_tcp_bind(listener_.get(), reinterpret_cast<const sockaddr*>(&addr), 0);
    if (rc == 0) {
        rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_.get()), 511, &on_connection);
    }
    if (rc < 0) {
        std::string name(protocol);
        for (char& ch : name)
            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        throw UvError(
            fmt::format("cannot listen on {} {}: {}", name, to_string(at), uv_message(rc)));
    }
    idle_timer_ = UvHandle<uv_timer_t>(uv_timer_init, loop, "timer init");
    idle_timer_->data = this;
    next_turn_ = UvHandle<uv_idle_t>(uv_idle_init, loop, "idle init");
    next_turn_->data = this;
    sockaddr_storage bound{};
    int len = sizeof bound;
    uv_tcp_getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&bound), &len);
    bound_ = sockaddr_to_string(reinterpret_cast<const sockaddr*>(&bound));
}

StreamServer::~StreamServer() {
    // Nobody waits any more: the close callbacks must not reach back into this object.
    on_idle_ = nullptr;
    close();
}

bool StreamServer::admit(Connection&, const sockaddr*) noexcept {
    return true;
}

bool StreamServer::waits_for_server(const Connection&) const noexcept {
    return false;
}

void StreamServer::forget(Connection&) noexcept {}

bool StreamServer::continue_reply(Connection&, std::string&) {
    return true;
}

void StreamServer::reply(Connection& c, std::string& out) {
    send(c, out);
}

void StreamServer::on_connection(uv_stream_t* listener, int status) noexcept {
    auto* self = static_cast<StreamServer*>(listener->data);
    if (status < 0) {
        log_warn("{} accept failed: {}", self->protocol_, uv_message(status));
        return;
    }
    if (self->connections_.size() >= self->max_connections_) {
        self->refuse(listener);
        return;
    }
    Connection* c = self->make_connection();
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
        uv_close(reinterpret_cast<uv_handle_t*>(&c->handle), &on_close);
        return;
    }
    c->active_ms = uv_now(self->loop_);
    auto* stream = reinterpret_cast<uv_stream_t*>(&c->handle);
    if (uv_accept(listener, stream) != 0 || !self->admit_peer(*c)) {
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
    if (!uv_is_active(self->idle_timer_.base())) self->arm_idle_timer();
}

bool StreamServer::admit_peer(Connection& c) noexcept {
    sockaddr_storage peer{};
    int len = sizeof peer;
    // A connection reset before it was accepted has no peer.
    if (uv_tcp_getpeername(&c.handle, reinterpret_cast<sockaddr*>(&peer), &len) != 0) {
        return admit(c, nullptr);
    }
    const auto* sa = reinterpret_cast<const sockaddr*>(&peer);
    try {
        c.peer = sockaddr_to_string(sa);
    } catch (const std::bad_alloc&) {
        // The peer only names the connection in logs.
    }
    return admit(c, sa);
}

void StreamServer::refuse(uv_stream_t* listener) noexcept {
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
        log_warn("{} connection limit reached: max_connections={} refused_total={}", protocol_,
                 max_connections_, refused_);
    }
}

void StreamServer::touch(Connection& c) noexcept {
    c.active_ms = uv_now(loop_);
    connections_.splice(connections_.end(), connections_, c.position);
}

void StreamServer::arm_idle_timer() noexcept {
    if (!idle_timer_ || idle_timeout_ms_ <= 0 || connections_.empty()) return;
    const std::uint64_t deadline =
        connections_.front()->active_ms + static_cast<std::uint64_t>(idle_timeout_ms_);
    const std::uint64_t now = uv_now(loop_);
    uv_timer_start(idle_timer_.get(), &on_idle_timer, deadline > now ? deadline - now : 0, 0);
}

void StreamServer::on_idle_timer(uv_timer_t* t) noexcept {
    auto* self = static_cast<StreamServer*>(t->data);
    const std::uint64_t now = uv_now(self->loop_);
    const auto timeout = static_cast<std::uint64_t>(self->idle_timeout_ms_);
    while (!self->connections_.empty()) {
        Connection& c = *self->connections_.front();
        if (c.active_ms + timeout > now) break;
        if (self->waits_for_server(c)) {
            self->touch(c);
            continue;
        }
        ++self->closed_idle_;
        log_debug("{} connection idle peer={} for={}ms: closing", self->protocol_, c.peer,
                  now - c.active_ms);
        self->close(c);
    }
    self->arm_idle_timer();
}

void StreamServer::on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) noexcept {
    auto* c = static_cast<Connection*>(h->data);
    // One buffer serves every connection: each read is handled completely in on_read before the
    // next read into it.
    *buf = uv_buf_init(c->server->read_buffer_.get(), kReadBuffer);
}

void StreamServer::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
    auto* c = static_cast<Connection*>(stream->data);
    StreamServer* self = c->server;
    if (nread == 0) return;
    if (nread < 0) {
        // The client sent all it will (or reset): answer what was complete, then close.
        self->stop_reading(*c);
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
        log_error("{} request handling failed peer={}: {}", self->protocol_, c->peer, e.what());
        self->close(*c);
    }
}

void StreamServer::pump(Connection& c, std::string_view fresh) {
    const std::string_view data = begin_pass(c, fresh);
    out_.clear();
    std::size_t pos = 0;
    bool handled = false;
    bool paused_now = false;
    bool yielded_now = false;
    for (;;) {
        if (full(c, out_.size())) {
            paused_now = true;
            break;
        }
        // A reply in progress comes before the next request, and is finished even once the
        // connection answers no more (a shutdown).
        if (c.streaming) {
            if (c.yield) {
                yielded_now = true;
                break;
            }
            c.streaming = !continue_reply(c, out_);
            continue;
        }
        if (c.close_when_flushed) break;
        const Handled step = handle(c, data.substr(pos), out_);
        pos += step.consumed;
        if (!step.request) break;
        handled = true;
    }
    c.yield = false;
    // A slice written is activity too: the socket may take it all without a write callback.
    if (handled || yielded_now) touch(c);
    end_pass(c, data, pos, paused_now || yielded_now);
    if (yielded_now) {
        c.yielded = true;
        yielded_.push_back(&c);
        uv_idle_start(next_turn_.get(), &on_next_turn);
    }
    if (!out_.empty()) reply(c, out_);
    if (out_.capacity() > 2 * kHighWater) std::string().swap(out_);
    maybe_finish(c);
}

std::string_view StreamServer::begin_pass(Connection& c, std::string_view fresh) {
    // Work straight from the read buffer when nothing is held back, else from the held bytes.
    if (c.in.empty()) return fresh;
    c.in.append(fresh);
    return c.in;
}

bool StreamServer::full(Connection& c, std::size_t pending) noexcept {
    if (queued(c) + pending < kHighWater) return false;
    c.paused = true;
    return true;
}

void StreamServer::end_pass(Connection& c, std::string_view data, std::size_t pos,
                            bool paused_now) {
    if (c.paused && !paused_now) c.paused = false;
    if (c.close_when_flushed) {
        c.in.clear();
    } else if (data.data() == c.in.data() && !c.in.empty()) {
        c.in.erase(0, pos);
    } else {
        // `data` is the read buffer, which the next read overwrites.
        c.in.assign(data.substr(pos));
    }
    if (paused_now || c.close_when_flushed) stop_reading(c);
}

std::size_t StreamServer::queued(const Connection& c) noexcept {
    return uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&c.handle)) +
           c.held_bytes;
}

void StreamServer::send(Connection& c, std::string& out) {
    auto* stream = reinterpret_cast<uv_stream_t*>(&c.handle);
    std::size_t off = 0;
    // A paused connection waits for a write callback to resume, so its bytes take the queue
    // even when the socket would take them all now.
    if (queued(c) == 0 && !c.paused) {
        uv_buf_t b =
            uv_buf_init(out.data(), static_cast<unsigned>(std::min(out.size(), kMaxBuffer)));
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
    w->data = std::move(out);  // The request owns the bytes until they are written: no copy.
    out.clear();
    w->req.data = w;
    const std::vector<uv_buf_t> bufs = buffers(w->data, off);
    if (uv_write(&w->req, stream, bufs.data(), static_cast<unsigned>(bufs.size()), &on_write) !=
        0) {
        delete w;
        close(c);
        return;
    }
    peak_queued_ = std::max(peak_queued_, uv_stream_get_write_queue_size(stream));
}

void StreamServer::on_write(uv_write_t* req, int status) noexcept {
    auto* w = static_cast<WriteReq*>(req->data);
    Connection& c = *w->conn;
    delete w;
    if (c.closing) return;
    StreamServer* self = c.server;
    if (status < 0) {
        self->close(c);
        return;
    }
    self->touch(c);  // The client took replies.
    try {
        self->resume_if_drained(c);
    } catch (const std::exception& e) {
        log_error("{} request handling failed peer={}: {}", self->protocol_, c.peer, e.what());
        self->close(c);
    }
}

void StreamServer::resume_if_drained(Connection& c) {
    // The client caught up: handle the requests held back, then read again.
    if (c.paused && queued(c) < kLowWater) resume(c);
    maybe_finish(c);
}

void StreamServer::resume(Connection& c) {
    pump(c, {});
    if (!c.paused && !c.yielded && !c.eof && !c.close_when_flushed && !c.closing && !c.reading &&
        !stopped_) {
        c.reading =
            uv_read_start(reinterpret_cast<uv_stream_t*>(&c.handle), &on_alloc, &on_read) == 0;
    }
}

void StreamServer::on_next_turn(uv_idle_t* h) noexcept {
    auto* self = static_cast<StreamServer*>(h->data);
    std::vector<Connection*> ready;
    ready.swap(self->yielded_);
    for (Connection* c : ready)
        c->yielded = false;
    for (Connection* c : ready) {
        // Closed by an earlier one's pass: still allocated until the loop's close callbacks.
        if (c->closing) continue;
        try {
            self->resume(*c);
            self->maybe_finish(*c);
        } catch (const std::exception& e) {
            log_error("{} request handling failed peer={}: {}", self->protocol_, c->peer, e.what());
            self->close(*c);
        }
    }
    if (self->yielded_.empty()) uv_idle_stop(h);
}

void StreamServer::maybe_finish(Connection& c) noexcept {
    const bool done = !c.streaming && (c.close_when_flushed || (c.eof && !c.paused));
    if (!c.closing && done && queued(c) == 0) close(c);
}

void StreamServer::stop_reading(Connection& c) noexcept {
    if (!c.reading) return;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&c.handle));
    c.reading = false;
}

void StreamServer::close(Connection& c) noexcept {
    if (c.closing) return;
    c.closing = true;
    forget(c);
    connections_.erase(c.position);
    if (c.yielded) yielded_.erase(std::find(yielded_.begin(), yielded_.end(), &c));
    // Only while shutdown() waits does a close reach back into the server, which the waiter keeps
    // alive; otherwise the server may be gone before libuv calls back.
    uv_close(reinterpret_cast<uv_handle_t*>(&c.handle),
             on_idle_ ? &on_close_while_draining : &on_close);
}

void StreamServer::on_close(uv_handle_t* h) noexcept {
    delete static_cast<Connection*>(h->data);
}

void StreamServer::on_close_while_draining(uv_handle_t* h) noexcept {
    auto* c = static_cast<Connection*>(h->data);
    StreamServer* self = c->server;
    delete c;
    if (self->connections_.empty()) self->finish_draining();
}

void StreamServer::finish_draining() noexcept {
    // No connection is left to continue a reply: nothing yields any more.
    next_turn_.close();
    if (!on_idle_) return;
    auto done = std::move(on_idle_);
    on_idle_ = nullptr;
    done();
}

void StreamServer::shutdown(std::function<void()> on_idle) {
    stopped_ = true;
    on_idle_ = std::move(on_idle);
    listener_.close();
    idle_timer_.close();
    // Copy: closing a connection removes it from the list.
    const std::vector<Connection*> all(connections_.begin(), connections_.end());
    for (Connection* c : all) {
        stop_reading(*c);
        c->close_when_flushed = true;
        maybe_finish(*c);
    }
    if (connections_.empty()) finish_draining();
}

void StreamServer::close_all() noexcept {
    const std::vector<Connection*> all(connections_.begin(), connections_.end());
    for (Connection* c : all)
        close(*c);
}

void StreamServer::close() noexcept {
    stopped_ = true;
    listener_.close();
    idle_timer_.close();
    close_all();
    next_turn_.close();
}

}  // namespace beat
