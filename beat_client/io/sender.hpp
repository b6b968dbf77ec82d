// Sends each beat's datagrams over UDP to every server. Never blocks: host names are resolved on
// libuv's thread pool (again every resolve interval), and a datagram the socket cannot take at
// once is dropped. A server that fails (cannot be resolved, refuses datagrams) is logged once
// when it starts failing and once when it works again. Each server's socket also receives its
// control datagrams (docs/datagram.md): acknowledgements tell whether the server hears the
// agent, logged when that changes; probes are answered at once on the same socket.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "beat_client/core/ack_tracker.hpp"
#include "beat_client/core/control_responder.hpp"
#include "common/endpoint.hpp"
#include "common/key_ring.hpp"

namespace beat {

// The agent run whose beats a Sender carries: control datagrams about another are ignored.
struct AgentIdentity {
    std::string host;
    std::uint64_t incarnation = 0;
    std::optional<Key> key;  // Signs answers; unsigned control datagrams are ignored with it.
    bool accept_unsigned_plans = false;  // Without a key: hand on unsigned plans all the same.
};

// Whether one server acknowledges the agent's beats.
struct ServerAcks {
    std::string server;  // "host:port" as configured.
    AckState state = AckState::unknown;
    std::uint64_t last_acked = 0;  // 0: no acknowledgement yet.
    std::optional<std::int64_t> round_trip_us;
};

class Sender {
  public:
    // Prepares one connected UDP socket per server, for the agent run `identity`. Numeric
    // addresses are used as they are; host names are looked up by start(). Throws UvError when
    // libuv refuses a handle.
    Sender(uv_loop_t* loop, const std::vector<Endpoint>& servers, std::int64_t resolve_interval_ms,
           AgentIdentity identity);
    Sender(const Sender&) = delete;
    Sender& operator=(const Sender&) = delete;
    ~Sender();

    // Starts the first lookups and, when `periodic`, the timer that repeats them.
    void start(bool periodic = true);

    // Sends `datagrams`, the beat of sequence `sequence`, to every server that has an address;
    // returns how many servers took them all. Judges each server on the way: one that reported no
    // error since the previous beat is reachable again; one that acknowledged none of the last
    // kUnackedLimit beats it took is not acknowledging.
    std::size_t send(const std::vector<std::string>& datagrams, std::uint64_t sequence) noexcept;

    // Each server's acknowledgements, in the configured order.
    std::vector<ServerAcks> acks() const;
    // True when every server has acknowledged `sequence` or a later beat.
    bool all_acknowledged(std::uint64_t sequence) const noexcept;
    // Servers that are not acknowledging (kUnackedLimit beats in a row without one).
    std::size_t servers_unacknowledging() const noexcept;
    // What was done with the control datagrams received so far.
    const ControlResponder& control() const noexcept { return responder_; }
    // Answers the socket could not take at once (dropped).
    std::uint64_t answers_unsent() const noexcept { return answers_unsent_; }

    // Called with each plan a server sends that the agent accepts (ControlResponder decides):
    // the plan, its version and the server's name as configured. The plan lives for the call.
    using PlanHandler =
        std::function<void(const Plan& plan, std::uint32_t version, std::string_view server)>;
    void on_plan(PlanHandler handler) { plan_handler_ = std::move(handler); }

    // True while a host name lookup is running.
    bool resolving() const noexcept;

    // Closes every handle; lookups not yet started are cancelled, and the result of one already
    // running is ignored. The loop must run until resolving() is false before the Sender is
    // destroyed.
    void close() noexcept;

    // Called by the lookup and the socket callbacks.
    struct Link;
    // Handles a datagram `link` received (`partial`: cut off by the buffer).
    void on_control(Link& link, std::string_view datagram, bool partial) noexcept;

  private:
    static void on_resolve_timer(uv_timer_t* t) noexcept;

    uv_loop_t* loop_;
    ControlResponder responder_;
    PlanHandler plan_handler_;
    std::uint64_t answers_unsent_ = 0;
    std::vector<std::unique_ptr<Link>> links_;
    std::int64_t resolve_interval_ms_;
    uv_timer_t* resolve_timer_ = nullptr;  // From init_handle(); freed in its close callback.
    bool closed_ = false;
};

}  // namespace beat
