// A lossy UDP link between agents and a server on 127.0.0.1, in the test process: agents send to
// the relay, which forwards each agent's datagrams to the server from an upstream socket of that
// agent's own (so the server sees one address per agent, and its acknowledgements and probes
// come back to that socket) and relays the server's datagrams back to the agent from the port
// the agent sends to. A seeded share of the datagrams is dropped in each direction.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

namespace beat::test {

class LossyRelay {
  public:
    // Counts of datagrams, in each direction.
    struct Counts {
        std::uint64_t up_forwarded = 0;  // Agent to server.
        std::uint64_t up_dropped = 0;
        std::uint64_t down_forwarded = 0;  // Server to agent.
        std::uint64_t down_dropped = 0;
    };

    // Relays to 127.0.0.1:`server_port`, dropping each datagram with probability `loss` (0 to 1)
    // in either direction, drawn from a generator seeded with `seed`. The relay's thread ends when
    // the relay is destroyed or `lifetime` has passed, whichever comes first. Throws when its
    // socket cannot be bound.
    LossyRelay(std::uint16_t server_port, double loss, std::uint64_t seed,
               std::chrono::milliseconds lifetime);
    LossyRelay(const LossyRelay&) = delete;
    LossyRelay& operator=(const LossyRelay&) = delete;
    ~LossyRelay();

    // The port of 127.0.0.1 agents send to.
    std::uint16_t port() const noexcept { return port_; }
    // What was relayed and dropped so far.
    Counts counts() const noexcept;

    // Agents relayed at once at most; datagrams from further agents are dropped (and counted).
    static constexpr std::size_t kMaxAgents = 64;

  private:
    void run(std::uint16_t server_port, double loss, std::uint64_t seed,
             std::chrono::steady_clock::time_point until) noexcept;

    int front_ = -1;  // Agents send here; replies to them leave from here.
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> up_forwarded_{0}, up_dropped_{0}, down_forwarded_{0},
        down_dropped_{0};
    std::thread thread_;
};

}  // namespace beat::test
