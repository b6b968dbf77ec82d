#include "beat_server/io/net/binary_server.hpp"

#include <deque>
#include <utility>
#include <vector>

#include "common/log.hpp"
#include "common/uv/unix_clock.hpp"

namespace beat {

struct BinaryServer::FrameConnection : StreamServer::Connection {
    std::string address;  // The peer's IP, once counted in addresses_.
    FrameDecoder decoder;
    std::uint64_t frames = 0;  // Frames stored from this connection.
    // Bytes of the frames waiting for a commit, by the generation they wait for, oldest first
    // (their sum is held_bytes).
    std::deque<std::pair<std::uint64_t, std::size_t>> waiting;
};

BinaryServer::BinaryServer(uv_loop_t* loop, const Endpoint& at, const TcpLimits& limits,
                           FrameIngest& ingest, std::function<std::uint64_t()> durable_generation)
    : StreamServer(loop, at, "binary", limits.max_connections, limits.idle_timeout_ms),
      ingest_(ingest),
      addresses_("binary", limits.max_per_address),
      durable_generation_(std::move(durable_generation)) {}

StreamServer::Connection* BinaryServer::make_connection() noexcept {
    return new (std::nothrow) FrameConnection;
}

bool BinaryServer::admit(Connection& base, const sockaddr* peer) noexcept {
    auto& c = static_cast<FrameConnection&>(base);
    return peer != nullptr &&
           addresses_.admit(*peer, static_cast<std::int64_t>(uv_now(c.handle.loop)), c.address);
}

bool BinaryServer::waits_for_server(const Connection& c) const noexcept {
    return !static_cast<const FrameConnection&>(c).waiting.empty();
}

void BinaryServer::forget(Connection& base) noexcept {
    auto& c = static_cast<FrameConnection&>(base);
    if (!c.waiting.empty()) --waiting_;
    addresses_.release(c.address);
}

StreamServer::Handled BinaryServer::handle(Connection& base, std::string_view data, std::string&) {
    auto& c = static_cast<FrameConnection&>(base);
    std::string_view rest = data;
    const FrameDecoder::Step step = c.decoder.next(rest);
    const std::size_t consumed = data.size() - rest.size();
    switch (step) {
        case FrameDecoder::Step::frame:
            if (ingest_.store(c.decoder.frame(), unix_now_ms() / 1000)) ++c.frames;
            hold_for_commit(c, kFrameFixed + c.decoder.frame().name.size());
            return {consumed, true};
        case FrameDecoder::Step::need_more:
            break;
        case FrameDecoder::Step::error:
            refuse(c);
            break;
    }
    return {consumed, false};
}

void BinaryServer::hold_for_commit(FrameConnection& c, std::size_t bytes) {
    const std::uint64_t generation = durable_generation_ ? durable_generation_() : 0;
    if (generation == 0) return;
    if (c.waiting.empty()) ++waiting_;
    if (c.waiting.empty() || c.waiting.back().first != generation) {
        c.waiting.emplace_back(generation, 0);
    }
    c.waiting.back().second += bytes;
    c.held_bytes += bytes;
}

void BinaryServer::refuse(FrameConnection& c) noexcept {
    const FrameError e = c.decoder.error();
    ingest_.malformed(e);
    c.close_when_flushed = true;
    try {
        const auto now = static_cast<std::int64_t>(uv_now(c.handle.loop));
        if (!malformed_log_.allow(c.address, now)) return;
        log_event(LogLevel::warn, {"binary_frame_malformed", "malformed binary frame"},
                  {{"peer", c.peer},
                   {"reason", to_string(e)},
                   {"frames_stored", c.frames},
                   {"suppressed_since_last", malformed_log_.take_suppressed(c.address)},
                   text_note("closing the connection")});
    } catch (const std::bad_alloc&) {
        log_error("binary: out of memory");
    }
}

void BinaryServer::committed(std::uint64_t generation) noexcept {
    if (waiting_ == 0) return;
    const std::vector<Connection*> all(connections_.begin(), connections_.end());
    for (Connection* base : all) {
        auto* c = static_cast<FrameConnection*>(base);
        if (c->waiting.empty() || c->waiting.front().first > generation) continue;
        while (!c->waiting.empty() && c->waiting.front().first <= generation) {
            c->held_bytes -= c->waiting.front().second;
            c->waiting.pop_front();
        }
        if (c->waiting.empty()) --waiting_;
        touch(*c);
        try {
            resume_if_drained(*c);
        } catch (const std::exception& e) {
            log_error("binary frame handling failed peer={}: {}", c->peer, e.what());
            close(*c);
        }
    }
}

}  // namespace beat
