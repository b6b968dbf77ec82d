#include "beat_server/io/net/tcp_server.hpp"

#include <deque>
#include <vector>

#include "common/line_framer.hpp"
#include "common/log.hpp"
#include "common/protocol.hpp"
#include "common/uv/unix_clock.hpp"

namespace beat {

struct TcpServer::LineConnection : StreamServer::Connection {
    // Replies that must wait for a commit: each segment may go once `generation` has committed.
    struct Held {
        std::uint64_t generation;
        std::string bytes;
    };

    std::string address;  // The peer's IP, once counted in per_address_.
    std::deque<Held> held;
    // Where the reply to the first put of this pass starts in the pass's replies (npos: none).
    std::size_t first_put = std::string::npos;
    ReplyCursor get;  // The rest of the get being answered, with `streaming` set.
};

TcpServer::TcpServer(uv_loop_t* loop, const Endpoint& at, const TcpLimits& limits,
                     Executor& executor, std::function<std::uint64_t()> durable_generation)
    : StreamServer(loop, at, "tcp", limits.max_connections, limits.idle_timeout_ms),
      executor_(executor),
      addresses_("tcp", limits.max_per_address),
      durable_generation_(std::move(durable_generation)) {}

StreamServer::Connection* TcpServer::make_connection() noexcept {
    return new (std::nothrow) LineConnection;
}

bool TcpServer::admit(Connection& base, const sockaddr* peer) noexcept {
    auto& c = static_cast<LineConnection&>(base);
    // A connection reset before it was accepted has no peer; it is closed like a refused one.
    return peer != nullptr &&
           addresses_.admit(*peer, static_cast<std::int64_t>(uv_now(c.handle.loop)), c.address);
}

bool TcpServer::waits_for_server(const Connection& c) const noexcept {
    return !static_cast<const LineConnection&>(c).held.empty();
}

void TcpServer::forget(Connection& base) noexcept {
    auto& c = static_cast<LineConnection&>(base);
    if (!c.held.empty()) --holding_;
    addresses_.release(c.address);
}

StreamServer::Handled TcpServer::handle(Connection& base, std::string_view data, std::string& out) {
    auto& c = static_cast<LineConnection&>(base);
    const Frame f = next_line(data);
    if (f.kind == Frame::Kind::need_more) return {};
    if (f.kind == Frame::Kind::too_long) {
        executor_.too_long(out);
        log_warn("tcp request line too long peer={} limit={} bytes: closing", c.peer,
                 kMaxLineLength);
        c.close_when_flushed = true;
        return {};
    }
    const Request req = parse_request(f.line);
    if (req.kind == Request::Kind::put && c.first_put == std::string::npos) {
        c.first_put = out.size();
    }
    c.get = executor_.execute(req, out, unix_now_ms() / 1000, kSlice);
    c.streaming = !c.get.done();
    return {f.consumed, true};
}

bool TcpServer::continue_reply(Connection& base, std::string& out) {
    return static_cast<LineConnection&>(base).get.write(out, kSlice);
}

void TcpServer::reply(Connection& base, std::string& out) {
    auto& c = static_cast<LineConnection&>(base);
    const std::size_t first_put = c.first_put;
    c.first_put = std::string::npos;
    send_or_hold(c, out, first_put);
}

void TcpServer::send_or_hold(LineConnection& c, std::string& out, std::size_t first_put) {
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
    const std::vector<Connection*> all(connections_.begin(), connections_.end());
    std::string ready;
    for (Connection* base : all) {
        auto* c = static_cast<LineConnection*>(base);
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

}  // namespace beat
