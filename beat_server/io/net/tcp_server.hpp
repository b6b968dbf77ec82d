// The TCP side-port: accepts connections and runs the put/get protocol on each, pipelined, with
// bounded memory per connection.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "beat_server/core/query/executor.hpp"
#include "beat_server/io/net/address_limit.hpp"
#include "beat_server/io/net/stream_server.hpp"
#include "common/endpoint.hpp"

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

// The put/get protocol over a StreamServer: pipelined lines, each answered in order; a get's reply
// is written in slices of about kSlice bytes as the client takes it (see ReplyCursor for what it
// lists when the store changes meanwhile).
class TcpServer : public StreamServer {
  public:
    // Binds and listens on `at`. Throws UvError when it cannot (e.g. port in use).
    // With `durable_generation` set, the reply to a put is held, with every later reply on its
    // connection, until committed(g) reports the generation that durable_generation() returned
    // when the put was executed (0: the put need not wait).
    TcpServer(uv_loop_t* loop, const Endpoint& at, const TcpLimits& limits, Executor& executor,
              std::function<std::uint64_t()> durable_generation = {});

    // Connections closed at once beyond max_per_address (refused() counts those beyond
    // max_connections).
    std::uint64_t refused_per_address() const noexcept { return addresses_.refused(); }

    // Releases the replies held for generations up to `generation`, in order.
    void committed(std::uint64_t generation) noexcept;

  private:
    struct LineConnection;

    Connection* make_connection() noexcept override;
    // Admits a connection under the per-address limit; one without a peer is closed.
    bool admit(Connection& c, const sockaddr* peer) noexcept override;
    // Answers the first line of `data`, or the start of a get's reply.
    Handled handle(Connection& c, std::string_view data, std::string& out) override;
    // Writes the next slice of the get being answered.
    bool continue_reply(Connection& c, std::string& out) override;
    // Sends the pass's replies, or holds those from the first put on until it is committed.
    void reply(Connection& c, std::string& out) override;
    // A connection whose replies wait for a commit waits for the server, not the client.
    bool waits_for_server(const Connection& c) const noexcept override;
    void forget(Connection& c) noexcept override;
    // Sends `out`, or holds it behind earlier held replies; `first_put` is where the first put's
    // reply starts in `out` (npos: none).
    void send_or_hold(LineConnection& c, std::string& out, std::size_t first_put);

    Executor& executor_;
    AddressLimit addresses_;
    std::function<std::uint64_t()> durable_generation_;
    std::size_t holding_ = 0;  // Connections with held replies.
};

}  // namespace beat
