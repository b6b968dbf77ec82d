// What the TCP side-port and the HTTP port share: a listener that turns away connections beyond a
// limit, connections kept in order of last activity under one idle timer, reads into one buffer,
// and the loop that handles a connection's requests in order with a high/low-water pause, writing
// a large reply in slices as the client takes it. A derived class speaks the protocol: it handles
// one request in handle(), continues a reply written in slices in continue_reply(), and may hold
// replies back in reply().
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/endpoint.hpp"
#include "common/uv/handle.hpp"

namespace beat {

class StreamServer {
  public:
    // Replies queued beyond this many bytes stop the handling of a connection's further requests
    // and the reading of its bytes until the queue drains below kLowWater: a client that does not
    // read its replies cannot grow the server's memory beyond one pass of replies past the mark.
    static constexpr std::size_t kHighWater = 1 << 20;
    static constexpr std::size_t kLowWater = 256 << 10;
    // About the bytes a large reply is written in at a time (see continue_reply()), so that a pass
    // stops near kHighWater and never holds a whole reply of any size.
    static constexpr std::size_t kSlice = 64 << 10;

    StreamServer(const StreamServer&) = delete;
    StreamServer& operator=(const StreamServer&) = delete;

    // The bound address, "127.0.0.1:PORT" with the real port when the endpoint asked for port 0.
    const std::string& bound() const noexcept { return bound_; }
    // Connections open now.
    std::size_t connections() const noexcept { return connections_.size(); }
    // Connections accepted since start, and closed at once beyond the connection limit.
    std::uint64_t accepted() const noexcept { return accepted_; }
    std::uint64_t refused() const noexcept { return refused_; }
    // Connections closed because they stayed idle for the idle timeout.
    std::uint64_t closed_idle() const noexcept { return closed_idle_; }
    // The most reply bytes one connection had waiting in the write queue at once since start: the
    // memory a client that does not read can make the server hold. At most kHighWater plus one
    // slice, or plus one reply that is not written in slices (an HTTP page that is not streamed).
    std::size_t peak_queued() const noexcept { return peak_queued_; }

    // Stops accepting, stops reading, lets queued replies drain and closes each connection once
    // its replies are written. Calls `on_idle` when the last connection has closed; the server
    // must live until then.
    void shutdown(std::function<void()> on_idle);
    // Closes every connection at once, written or not (the end of a shutdown's grace period).
    void close_all() noexcept;
    // Stops listening and closes every connection at once, and the idle timer; the handles free
    // themselves once closed. Idempotent.
    void close() noexcept;

  protected:
    // One client. A derived server allocates its own kind in make_connection().
    struct Connection {
        virtual ~Connection() = default;

        uv_tcp_t handle{};
        StreamServer* server = nullptr;
        std::list<Connection*>::iterator position;  // In server->connections_.
        std::uint64_t active_ms = 0;                // Loop time of the last activity.
        std::string in;    // Bytes read but not yet handled: held back while replies are queued.
        std::string peer;  // "ip:port", for logs; empty when unknown.
        // Bytes the protocol holds for the server: replies held back before they are sent, or
        // frames read that wait for a commit. They count as queued: at kHighWater they pause the
        // connection, and it is not closed before they are released.
        std::size_t held_bytes = 0;
        // A reply is being written in slices: continue_reply() writes the rest of it before the
        // next request is handled, also once the connection answers no more.
        bool streaming = false;
        // Set by handle() or continue_reply() with `streaming`: end the pass after this slice and
        // write the next one on the loop's next turn, after it has polled for I/O, so that a
        // reply whose slices cost time rather than bytes (a page rendered as it is sent) holds
        // the loop for one slice at a time. Cleared by the server.
        bool yield = false;
        bool yielded = false;  // Waiting for the loop's next turn to continue its reply.
        bool reading = false;
        bool paused = false;              // Requests held back because replies are queued.
        bool eof = false;                 // The client sent all it will send.
        bool close_when_flushed = false;  // Answer nothing more: close once replies are written.
        bool closing = false;
    };

    // Binds and listens on `at`, with at most `max_connections` open at once and each closed
    // after `idle_timeout_ms` idle (0: never). `protocol` ("tcp", "http") names the port in
    // errors and logs. Throws UvError when it cannot listen (e.g. port in use), with whatever it
    // opened closed.
    StreamServer(uv_loop_t* loop, const Endpoint& at, std::string_view protocol,
                 std::size_t max_connections, std::int64_t idle_timeout_ms);
    // Closes what close() closes.
    virtual ~StreamServer();

    // A new, empty connection of the derived kind; null when out of memory.
    virtual Connection* make_connection() noexcept = 0;
    // Whether to keep `c`, just accepted from `peer` (null when the peer is unknown).
    virtual bool admit(Connection& c, const sockaddr* peer) noexcept;
    // What handle() did with the bytes at the front of a pass.
    struct Handled {
        std::size_t consumed = 0;  // Bytes taken: a request, or the part of one a parser keeps.
        bool request = false;      // A request was answered (or its reply begun): go on.
    };
    // Handles the first request in `data`: appends its reply to `out`, or the first slice of it
    // with c.streaming set. Without a request the pass ends: more bytes are needed, or the
    // connection answers no more (c.close_when_flushed). May throw; the connection is then closed.
    virtual Handled handle(Connection& c, std::string_view data, std::string& out) = 0;
    // Appends the next slice of the reply in progress on `c` (c.streaming) to `out`; returns true
    // once the reply is complete. The default has no reply in progress. May throw.
    virtual bool continue_reply(Connection& c, std::string& out);
    // Writes the replies of one pass, `out` (which it may consume); the default send()s them.
    virtual void reply(Connection& c, std::string& out);
    // Whether `c` is waiting for the server rather than the client: it is then not idle.
    virtual bool waits_for_server(const Connection& c) const noexcept;
    // Called once as `c` closes, before it leaves connections_.
    virtual void forget(Connection& c) noexcept;

    // Reply bytes not yet taken by the client: queued in libuv and held by the protocol.
    static std::size_t queued(const Connection& c) noexcept;
    // Marks `c` active now: it moves to the back of connections_.
    void touch(Connection& c) noexcept;
    // Writes `out` (which it may consume) after the replies already queued; closes `c` when the
    // write fails. A paused connection's bytes always go through the write queue, whose callback
    // resumes it.
    void send(Connection& c, std::string& out);
    // After replies left the queue: handles the requests held back and reads again once caught
    // up; closes `c` when it is done.
    void resume_if_drained(Connection& c);
    // Continues `c`'s reply and the requests held back, then reads again once caught up.
    void resume(Connection& c);
    // Closes `c` once it is done (no more requests, or the client's end) and its replies written.
    void maybe_finish(Connection& c) noexcept;
    // The one way a connection dies: it leaves connections_ now and is freed once libuv is done.
    void close(Connection& c) noexcept;

    std::list<Connection*> connections_;  // Least recently active first.

  private:
    struct WriteReq;

    // One pass over `c`'s requests: continues the reply in progress, then handles the requests
    // of the bytes held back and of `fresh` (bytes just read; empty when the queue drained), as
    // many as the reply queue allows, and writes their replies. May throw.
    void pump(Connection& c, std::string_view fresh);
    // The bytes a pass works on: `fresh` alone when nothing was kept from an earlier pass, else
    // the kept bytes with `fresh` appended. Valid until end_pass().
    static std::string_view begin_pass(Connection& c, std::string_view fresh);
    // True when the replies queued and `pending` more bytes reach kHighWater: `c` is then paused,
    // its further requests held back until the queue drains.
    static bool full(Connection& c, std::size_t pending) noexcept;
    // Ends a pass that handled `data` up to `pos`: keeps the rest for a later pass (nothing once
    // `c` answers no more) and stops reading when the pass paused `c` or it answers no more.
    void end_pass(Connection& c, std::string_view data, std::size_t pos, bool paused_now);

    static void on_connection(uv_stream_t* listener, int status) noexcept;
    static void on_alloc(uv_handle_t* h, std::size_t suggested, uv_buf_t* buf) noexcept;
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) noexcept;
    static void on_write(uv_write_t* req, int status) noexcept;
    static void on_idle_timer(uv_timer_t* t) noexcept;
    // Continues the replies of the connections that yielded.
    static void on_next_turn(uv_idle_t* h) noexcept;
    static void on_close(uv_handle_t* h) noexcept;
    static void on_close_while_draining(uv_handle_t* h) noexcept;

    void refuse(uv_stream_t* listener) noexcept;
    // Learns the peer of `c`, just accepted, and asks admit() whether to keep it.
    bool admit_peer(Connection& c) noexcept;
    // Starts the idle timer for the deadline of the least recently active connection.
    void arm_idle_timer() noexcept;
    void stop_reading(Connection& c) noexcept;
    // Once every connection has closed in a shutdown: closes the handle that continues replies,
    // and calls the on_idle of shutdown() once.
    void finish_draining() noexcept;

    uv_loop_t* loop_;
    std::string protocol_;
    std::size_t max_connections_;
    std::int64_t idle_timeout_ms_;
    UvHandle<uv_tcp_t> listener_;
    // One timer for every connection's idle timeout. connections_ is kept in order of last
    // activity, so its front has the earliest deadline and a touch costs O(1) (a splice to the
    // back) instead of a timer-heap update per request. The timer waits for the front's deadline;
    // when the front was touched meanwhile, it waits again for the new front's.
    UvHandle<uv_timer_t> idle_timer_;
    // Active while a connection has yielded (Connection::yield): an idle handle runs once every
    // turn of the loop and keeps the loop's poll from blocking, so beats and requests are read
    // between two slices.
    UvHandle<uv_idle_t> next_turn_;
    std::vector<Connection*> yielded_;
    std::string bound_;
    std::unique_ptr<char[]> read_buffer_;
    std::uint64_t accepted_ = 0;
    std::uint64_t refused_ = 0;
    std::uint64_t closed_idle_ = 0;
    std::size_t peak_queued_ = 0;
    std::uint64_t last_refusal_log_ms_ = 0;
    bool refusal_logged_ = false;
    bool stopped_ = false;  // Listening stopped: connections read no more.
    std::function<void()> on_idle_;
    // Reply scratch, reused across passes: about kHighWater at most, plus one reply that is not
    // written in slices; let go once it grew beyond twice kHighWater.
    std::string out_;
};

}  // namespace beat
