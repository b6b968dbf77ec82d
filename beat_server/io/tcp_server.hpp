// The TCP side-port: accepts connections and runs the put/get protocol on each, pipelined, with
// bounded memory per connection.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "beat_server/core/executor.hpp"
#include "common/endpoint.hpp"
#include "common/rate_limiter.hpp"

namespace beat {

// The side-port's limits on its clients.
struct TcpLimits {
    std::size_t max_connections = 1024;  // In all; the newest beyond it is closed at once.
    std::size_t max_per_address = 128;   // From one IP address; the same.
    // A connection idle this long is closed (0: never). Idle means that no complete request was
    // handled and no reply was taken by the client: a client that sends a line one byte at a
    // time, or that does not read its replies (and so gets no further request handled), is idle.
    // A connection whose replies wait for a commit is not: it waits for the server.
    std::int64_t idle_timeout_ms = 300'000;
};

class TcpServer {
  public:
    // Replies queued beyond this many bytes pause reading from that client until the queue drains
    // below kLowWater: a client that does not read its replies cannot grow the server's memory.
    static constexpr std::size_t kHighWater = 1 << 20;
    static constexpr std::size_t kLowWater = 256 << 10;

    // Binds and listens on `at`. Throws UvError when it cannot (e.g. port in use).
    // With `durable_generation` set, the reply to a put is held, with every later reply on its
    // connection, until committed(g) reports the generation that durable_generation() returned
    // when the put was executed (0: the put need not wait).
    TcpServer(uv_loop_t* loop, const Endpoint& at, const TcpLimits& limits, Executor& executor,
              std::function<std::uint64_t()> durable_generation = {});
    TcpServer(const TcpServer&) = delete;
    TcpServer& operator=(const TcpServer&) = delete;
    ~TcpServer();

    const std::string& bound() const noexcept { return bound_; }
    std::size_t connections() const noexcept { return connections_.size(); }
    std::uint64_t accepted() const noexcept { return accepted_; }
    // Connections closed at once beyond max_connections, and beyond max_per_address.
    std::uint64_t refused() const noexcept { return refused_; }
    std::uint64_t refused_per_address() const noexcept { return refused_per_address_; }
    // Connections closed because they stayed idle for idle_timeout_ms.
    std::uint64_t closed_idle() const noexcept { return closed_idle_; }

    // Stops accepting, stops reading, lets queued replies drain and closes each connection once
    // its replies are written. Calls `on_idle` when the last connection has closed.
    void shutdown(std::function<void()> on_idle);
    // Closes every connection at once, written or not (the end of the shutdown grace period).
    void close_all() noexcept;
    // Releases the replies held for generations up to `generation`, in order.
    void committed(std::uint64_t generation) noexcept;

  private:
    struct Connection;
    struct WriteReq;

    static void on_connection(uv_stream_t* server, int status) noexcept;
    static void on_alloc(uv_handle_t* h, std::size_t suggested, uv_buf_t* buf) noexcept;
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
    static void on_write(uv_write_t* req, int status) noexcept;
    static void on_close(uv_handle_t* h) noexcept;
    static void on_idle_timer(uv_timer_t* t) noexcept;

    void refuse(uv_stream_t* listener) noexcept;
    // Admits `c` (accepted, its peer known) under the per-address limit, or closes it.
    bool admit(Connection& c) noexcept;
    // Marks `c` active now: it moves to the back of connections_.
    void touch(Connection& c) noexcept;
    // Starts the idle timer for the deadline of the least recently active connection.
    void arm_idle_timer() noexcept;
    // Handles as many complete lines as the output limit allows: `fresh` are bytes just read.
    void pump(Connection& c, std::string_view fresh);
    void send(Connection& c, std::string& out);
    void close(Connection& c) noexcept;
    void maybe_finish(Connection& c) noexcept;
    // Sends `out`, or holds it behind earlier held replies; `first_put` is where the first put's
    // reply starts in `out` (npos: none).
    void send_or_hold(Connection& c, std::string& out, std::size_t first_put);
    // After replies left the queue: handles requests held back and reads again once caught up.
    void resume_if_drained(Connection& c);
    static std::size_t queued(const Connection& c) noexcept;

    uv_loop_t* loop_;
    uv_tcp_t* listener_ = nullptr;
    // One timer for every connection's idle timeout. connections_ is kept in order of last
    // activity, so its front has the earliest deadline and a touch costs O(1) (a splice to the
    // back) instead of a timer-heap update per request. The timer waits for the front's deadline;
    // when the front was touched meanwhile, it waits again for the new front's.
    uv_timer_t* idle_timer_ = nullptr;
    TcpLimits limits_;
    Executor& executor_;
    std::string bound_;
    std::list<Connection*> connections_;                        // Least recently active first.
    std::unordered_map<std::string, std::size_t> per_address_;  // Open connections by peer IP.
    RateLimiter address_log_{60'000};  // Per-address refusals: one log line a minute per IP.
    std::unique_ptr<char[]> read_buffer_;
    std::string out_;  // Reply scratch, reused across reads.
    std::uint64_t accepted_ = 0;
    std::uint64_t refused_ = 0;
    std::uint64_t refused_per_address_ = 0;
    std::uint64_t closed_idle_ = 0;
    std::uint64_t last_refusal_log_ms_ = 0;
    bool refusal_logged_ = false;
    bool shutting_down_ = false;
    std::function<void()> on_idle_;
    std::function<std::uint64_t()> durable_generation_;
    std::size_t holding_ = 0;  // Connections with held replies.
};

}  // namespace beat
