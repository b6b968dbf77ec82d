// The HTTP port: accepts connections on the server's loop and answers each request with what the
// handler returns. Bounded: connections, header bytes, queued replies and idle time.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>

#include "beat_server/core/http_message.hpp"
#include "beat_server/core/http_request_parser.hpp"
#include "beat_server/core/server_status.hpp"
#include "common/endpoint.hpp"

namespace beat {

struct HttpLimits {
    std::size_t max_connections = 256;  // The newest beyond it is closed at once.
    std::size_t max_header_bytes = HttpRequestParser::kDefaultMaxHeaderBytes;  // Beyond: 431.
    // No complete request and no reply taken by the client for this long: closed (0: never).
    std::int64_t idle_timeout_ms = 60'000;
};

// Produces the response to one well-formed request. Called on the loop; must not throw (a throw
// is answered 500).
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
  public:
    // Replies queued beyond this many bytes stop the handling of a connection's further requests
    // and the reading of its bytes until the queue drains below kLowWater: a client that does not
    // read its replies cannot grow the server's memory beyond one reply past the mark.
    static constexpr std::size_t kHighWater = 1 << 20;
    static constexpr std::size_t kLowWater = 256 << 10;

    // Binds and listens on `at`. Throws UvError when it cannot.
    HttpServer(uv_loop_t* loop, const Endpoint& at, const HttpLimits& limits, HttpHandler handler);
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;
    // Closes what close() closes.
    ~HttpServer();

    // The bound address, "127.0.0.1:PORT" with the real port when `at` asked for port 0.
    const std::string& bound() const noexcept { return bound_; }
    const HttpStats& stats() const noexcept { return stats_; }

    // Stops listening and closes every connection, answered or not, and the idle timer; the
    // handles free themselves once closed. Idempotent.
    void close() noexcept;

  private:
    struct Connection;
    struct WriteReq;

    static void on_connection(uv_stream_t* listener, int status) noexcept;
    static void on_alloc(uv_handle_t* h, std::size_t suggested, uv_buf_t* buf) noexcept;
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
    static void on_write(uv_write_t* req, int status) noexcept;
    static void on_idle_timer(uv_timer_t* t) noexcept;

    void refuse(uv_stream_t* listener) noexcept;
    // Marks `c` active now: it moves to the back of connections_.
    void touch(Connection& c) noexcept;
    // Starts the idle timer for the deadline of the least recently active connection.
    void arm_idle_timer() noexcept;
    // Answers the complete requests of `fresh` (bytes just read) and of bytes held back, as many
    // as the reply queue allows.
    void pump(Connection& c, std::string_view fresh);
    // Appends the response to `request` to out_ and counts it.
    void answer(const HttpRequest& request);
    void answer_error(Connection& c, int status);
    void send(Connection& c, std::string& out);
    void resume_if_drained(Connection& c);
    void maybe_finish(Connection& c) noexcept;
    void close(Connection& c) noexcept;
    static std::size_t queued(const Connection& c) noexcept;

    uv_loop_t* loop_;
    uv_tcp_t* listener_ = nullptr;
    // One timer for every connection's idle timeout, as in TcpServer: connections_ is kept in
    // order of last activity, so its front has the earliest deadline.
    uv_timer_t* idle_timer_ = nullptr;
    HttpLimits limits_;
    HttpHandler handler_;
    std::string bound_;
    HttpStats stats_;
    std::list<Connection*> connections_;  // Least recently active first.
    std::unique_ptr<char[]> read_buffer_;
    std::string out_;  // Reply scratch, reused across reads.
    std::uint64_t last_refusal_log_ms_ = 0;
    bool refusal_logged_ = false;
    bool closed_ = false;
};

}  // namespace beat
