// The --binary port: accepts connections and stores the metric frames each one streams
// (common/binary_frame.hpp) as the puts they stand for. The format has no reply: a frame is kept
// once it is read (in memory at once, on disk as --durability says), and a malformed frame ends
// its connection.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "beat_server/core/query/frame_ingest.hpp"
#include "beat_server/io/net/address_limit.hpp"
#include "beat_server/io/net/stream_server.hpp"
#include "beat_server/io/net/tcp_server.hpp"
#include "common/endpoint.hpp"
#include "common/rate_limiter.hpp"

namespace beat {

class BinaryServer : public StreamServer {
  public:
    // Binds and listens on `at`, with the put/get port's kind of limits (counted apart from its
    // connections). Throws UvError when it cannot (e.g. port in use). With `durable_generation`
    // set, frames stored while durable_generation() returns a generation other than 0 wait for
    // committed() to report it, as put replies held for a commit do: their connection is read no
    // further once kHighWater bytes of them wait, and is not closed (at the end of its stream)
    // before they are committed.
    BinaryServer(uv_loop_t* loop, const Endpoint& at, const TcpLimits& limits, FrameIngest& ingest,
                 std::function<std::uint64_t()> durable_generation = {});

    // Connections closed at once beyond max_per_address (refused() counts those beyond
    // max_connections).
    std::uint64_t refused_per_address() const noexcept { return addresses_.refused(); }

    // Releases the frames that waited for generations up to `generation`: their connections are
    // read again, or closed when their stream has ended.
    void committed(std::uint64_t generation) noexcept;

  private:
    struct FrameConnection;

    Connection* make_connection() noexcept override;
    // Admits a connection under the per-address limit; one without a peer is closed.
    bool admit(Connection& c, const sockaddr* peer) noexcept override;
    // Stores the next frame of `data`, or keeps the start of one for the next read; a malformed
    // frame is counted and logged (at most once a minute per address), and closes `c`.
    Handled handle(Connection& c, std::string_view data, std::string& out) override;
    // A connection waiting for a commit waits for the server, not the client.
    bool waits_for_server(const Connection& c) const noexcept override;
    void forget(Connection& c) noexcept override;
    // After `c` stored a frame of `bytes`: holds them until the generation they wait for, if any,
    // has committed.
    void hold_for_commit(FrameConnection& c, std::size_t bytes);
    // Counts and logs the malformed frame that ends `c`, and closes it.
    void refuse(FrameConnection& c) noexcept;

    FrameIngest& ingest_;
    AddressLimit addresses_;
    std::function<std::uint64_t()> durable_generation_;
    std::size_t waiting_ = 0;            // Connections not read until a commit.
    RateLimiter malformed_log_{60'000};  // One log line a minute per address.
};

}  // namespace beat
