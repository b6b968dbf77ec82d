#include "beat_server/io/http_server.hpp"

#include <vector>

#include "common/log.hpp"
#include "common/uv/handle.hpp"
#include "common/uv/resolve.hpp"
#include "common/uv/uv_error.hpp"

namespace beat {
namespace {

constexpr std::size_t kReadBuffer = 64 * 1024;

}  // namespace

struct HttpServer::Connection {
    explicit Connection(std::size_t max_header_bytes) noexcept : parser(max_header_bytes) {}

    uv_tcp_t handle{};
    HttpServer* server = nullptr;
    std::list<Connection*>::iterator position;  // In server->connections_.
    std::uint64_t active_ms = 0;                // Loop time of the last activity.
    HttpRequestParser parser;
    std::string in;  // Bytes read but not yet parsed: held back while replies are queued.
    std::string peer;
    bool reading = false;
    bool paused = false;              // Requests held back because replies are queued.
    bool eof = false;                 // The client sent all it will send.
    bool close_when_flushed = false;  // Answer nothing more: close once replies are written.
    bool closing = false;
};

struct HttpServer::WriteReq {
    uv_write_t req{};
    Connection* conn = nullptr;
    std::string data;
};

HttpServer::HttpServer(uv_loop_t* loop, const Endpoint& at, const HttpLimits& limits,
                       HttpHandler handler)
    : loop_(loop),
      limits_(limits),
      handler_(std::move(handler)),
      read_buffer_(new char[kReadBuffer]) {
    const sockaddr_storage addr = resolve_for_bind(loop, at);
    listener_ = init_handle<uv_tcp_t>(uv_tcp_init, loop, "tcp init");
    listener_->data = this;
    int rc = uv_tcp_bind(listener_, reinterpret_cast<const sockaddr*>(&addr), 0);
    if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener_), 511, &on_connection);
    if (rc < 0) {
        close_handle(listener_);
        throw UvError("cannot listen on HTTP " + to_string(at) + ": " + uv_message(rc));
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

HttpServer::~HttpServer() {
    close();
}

void HttpServer::on_connection(uv_stream_t* listener, int status) noexcept {
    auto* self = static_cast<HttpServer*>(listener->data);
    if (status < 0) {
        log_warn("http accept failed: {}", uv_message(status));
        return;
    }
    if (self->connections_.size() >= self->limits_.max_connections) {
        self->refuse(listener);
        return;
    }
    auto* c = new (std::nothrow) Connection(self->limits_.max_header_bytes);
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
    self->stats_.open = self->connections_.size();
    c->active_ms = uv_now(self->loop_);
    auto* stream = reinterpret_cast<uv_stream_t*>(&c->handle);
    if (uv_accept(listener, stream) != 0) {
        self->close(*c);
        return;
    }
    ++self->stats_.accepted;
    sockaddr_storage peer{};
    int len = sizeof peer;
    try {
        if (uv_tcp_getpeername(&c->handle, reinterpret_cast<sockaddr*>(&peer), &len) == 0)
            c->peer = sockaddr_to_string(reinterpret_cast<const sockaddr*>(&peer));
    } catch (const std::bad_alloc&) {
        // The peer only names the connection in logs.
    }
    uv_tcp_nodelay(&c->handle, 1);
    c->reading = uv_read_start(stream, &on_alloc, &on_read) == 0;
    if (!c->reading) {
        self->close(*c);
        return;
    }
    if (!uv_is_active(reinterpret_cast<uv_handle_t*>(self->idle_timer_))) self->arm_idle_timer();
}

void HttpServer::refuse(uv_stream_t* listener) noexcept {
    // Accept and close at once, as TcpServer does: the newest connection is turned away.
    ++stats_.refused;
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
        log_warn("http connection limit reached: max_connections={} refused_total={}",
                 limits_.max_connections, stats_.refused);
    }
}

void HttpServer::touch(Connection& c) noexcept {
    c.active_ms = uv_now(loop_);
    connections_.splice(connections_.end(), connections_, c.position);
}

void HttpServer::arm_idle_timer() noexcept {
    if (idle_timer_ == nullptr || limits_.idle_timeout_ms <= 0 || connections_.empty()) return;
    const std::uint64_t deadline =
        connections_.front()->active_ms + static_cast<std::uint64_t>(limits_.idle_timeout_ms);
    const std::uint64_t now = uv_now(loop_);
    uv_timer_start(idle_timer_, &on_idle_timer, deadline > now ? deadline - now : 0, 0);
}

void HttpServer::on_idle_timer(uv_timer_t* t) noexcept {
    auto* self = static_cast<HttpServer*>(t->data);
    const std::uint64_t now = uv_now(self->loop_);
    const auto timeout = static_cast<std::uint64_t>(self->limits_.idle_timeout_ms);
    while (!self->connections_.empty()) {
        Connection& c = *self->connections_.front();
        if (c.active_ms + timeout > now) break;
        ++self->stats_.closed_idle;
        log_debug("http connection idle peer={} for={}ms: closing", c.peer, now - c.active_ms);
        self->close(c);
    }
    self->arm_idle_timer();
}

void HttpServer::on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) noexcept {
    auto* c = static_cast<Connection*>(h->data);
    // One buffer serves every connection: each read is handled completely in on_read.
    *buf = uv_buf_init(c->server->read_buffer_.get(), kReadBuffer);
}

void HttpServer::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept {
    auto* c = static_cast<Connection*>(stream->data);
    HttpServer* self = c->server;
    if (nread == 0) return;
    if (nread < 0) {
        // The client sent all it will (or reset): answer what was complete, then close.
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
        log_error("http request handling failed peer={}: {}", c->peer, e.what());
        self->close(*c);
    }
}

std::size_t HttpServer::queued(const Connection& c) noexcept {
    return uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&c.handle));
}

void HttpServer::pump(Connection& c, std::string_view fresh) {
    // Work straight from the read buffer when nothing is held back, else from the held bytes.
    if (!c.in.empty()) {
        c.in.append(fresh);
        fresh = {};
    }
    const std::string_view data = c.in.empty() ? fresh : std::string_view(c.in);
    std::string& out = out_;
    out.clear();
    std::size_t pos = 0;
    bool handled = false;
    bool stop_reading = false;
    while (!c.close_when_flushed) {
        if (queued(c) + out.size() >= kHighWater) {
            c.paused = true;
            stop_reading = true;
            break;
        }
        HttpParseStep step = c.parser.next(data.substr(pos));
        pos += step.consumed;
        if (step.kind == HttpParseStep::Kind::need_more) break;
        if (step.kind == HttpParseStep::Kind::request) {
            answer(step.request);
            handled = true;
            if (!step.request.keep_alive) c.close_when_flushed = true;
            continue;
        }
        if (step.kind == HttpParseStep::Kind::error) answer_error(c, step.status);
        c.close_when_flushed = true;
    }
    if (handled) touch(c);
    if (c.paused && !stop_reading) c.paused = false;
    if (c.close_when_flushed) {
        c.in.clear();
        stop_reading = true;
    } else if (data.data() == c.in.data() && !c.in.empty()) {
        c.in.erase(0, pos);
    } else {
        c.in.assign(data.substr(pos));
    }
    if (stop_reading && c.reading) {
        uv_read_stop(reinterpret_cast<uv_stream_t*>(&c.handle));
        c.reading = false;
    }
    if (!out.empty()) send(c, out);
    maybe_finish(c);
}

void HttpServer::answer(const HttpRequest& request) {
    HttpResponse response;
    try {
        response = handler_(request);
    } catch (const std::exception& e) {
        log_error("http handler failed method={} target={}: {}", request.method, request.target,
                  e.what());
        response = text_response(500);
    } catch (...) {
        log_error("http handler failed method={} target={}", request.method, request.target);
        response = text_response(500);
    }
    out_ += serialize(response, request.keep_alive, request.method == "HEAD");
    ++stats_.requests;
    const int status_class = response.status / 100;
    if (status_class >= 1 && status_class <= 5) ++stats_.responses_by_class[status_class];
}

void HttpServer::answer_error(Connection& c, int status) {
    log_debug("http request refused peer={} status={}", c.peer, status);
    out_ += serialize(text_response(status), false, false);
    ++stats_.requests;
    ++stats_.responses_by_class[status / 100];
}

void HttpServer::send(Connection& c, std::string& out) {
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

void HttpServer::on_write(uv_write_t* req, int status) noexcept {
    auto* w = static_cast<WriteReq*>(req->data);
    Connection& c = *w->conn;
    delete w;
    if (c.closing) return;
    HttpServer* self = c.server;
    if (status < 0) {
        self->close(c);
        return;
    }
    self->touch(c);  // The client took replies.
    try {
        self->resume_if_drained(c);
    } catch (const std::exception& e) {
        log_error("http request handling failed peer={}: {}", c.peer, e.what());
        self->close(c);
    }
}

void HttpServer::resume_if_drained(Connection& c) {
    if (c.paused && queued(c) < kLowWater) {
        // The client caught up: answer the requests held back, then read again.
        pump(c, {});
        if (!c.paused && !c.eof && !c.close_when_flushed && !c.closing && !c.reading && !closed_) {
            c.reading =
                uv_read_start(reinterpret_cast<uv_stream_t*>(&c.handle), &on_alloc, &on_read) == 0;
        }
    }
    maybe_finish(c);
}

void HttpServer::maybe_finish(Connection& c) noexcept {
    const bool done = c.close_when_flushed || (c.eof && !c.paused);
    if (!c.closing && done && queued(c) == 0) close(c);
}

void HttpServer::close(Connection& c) noexcept {
    if (c.closing) return;
    c.closing = true;
    connections_.erase(c.position);
    stats_.open = connections_.size();
    uv_close(reinterpret_cast<uv_handle_t*>(&c.handle),
             [](uv_handle_t* h) { delete static_cast<Connection*>(h->data); });
}

void HttpServer::close() noexcept {
    if (closed_) return;
    closed_ = true;
    close_handle(listener_);
    close_handle(idle_timer_);
    // Copy: closing a connection removes it from the list.
    const std::vector<Connection*> all(connections_.begin(), connections_.end());
    for (Connection* c : all)
        close(*c);
}

}  // namespace beat
