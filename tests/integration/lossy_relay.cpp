#include "tests/integration/lossy_relay.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/integration/harness.hpp"

namespace beat::test {
namespace {

// A UDP socket bound to a port of 127.0.0.1 the kernel chose, or -1.
int bound_udp_socket() {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    const sockaddr_in a = loopback(0);
    if (fd >= 0 && ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// One agent: where it sends from, and the socket its datagrams go on to the server from.
struct Agent {
    sockaddr_in address;
    int upstream;
};

// How long a poll waits at most, so that the thread sees stop_ and its deadline.
constexpr int kPollMs = 20;

}  // namespace

LossyRelay::LossyRelay(std::uint16_t server_port, double loss, std::uint64_t seed,
                       std::chrono::milliseconds lifetime)
    : front_(bound_udp_socket()) {
    if (front_ < 0) throw std::runtime_error("cannot bind the relay's socket on 127.0.0.1");
    sockaddr_in a{};
    socklen_t len = sizeof a;
    ::getsockname(front_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread(&LossyRelay::run, this, server_port, loss, seed,
                          std::chrono::steady_clock::now() + lifetime);
}

LossyRelay::~LossyRelay() {
    stop_ = true;
    thread_.join();
    ::close(front_);
}

LossyRelay::Counts LossyRelay::counts() const noexcept {
    return {up_forwarded_.load(), up_dropped_.load(), down_forwarded_.load(), down_dropped_.load()};
}

void LossyRelay::run(std::uint16_t server_port, double loss, std::uint64_t seed,
                     std::chrono::steady_clock::time_point until) noexcept {
    std::mt19937_64 random(seed);
    std::bernoulli_distribution drop(loss);
    const sockaddr_in server = loopback(server_port);
    std::vector<Agent> agents;
    std::vector<pollfd> fds;
    std::vector<char> buf(65536);
    while (!stop_ && std::chrono::steady_clock::now() < until) {
        fds.assign(1, pollfd{front_, POLLIN, 0});
        for (const Agent& a : agents)
            fds.push_back(pollfd{a.upstream, POLLIN, 0});
        if (::poll(fds.data(), fds.size(), kPollMs) <= 0) continue;
        // From the agents, to the server: each agent's datagrams through its own socket.
        if (fds[0].revents & POLLIN) {
            for (;;) {
                sockaddr_in from{};
                socklen_t len = sizeof from;
                const ssize_t n = ::recvfrom(front_, buf.data(), buf.size(), 0,
                                             reinterpret_cast<sockaddr*>(&from), &len);
                if (n < 0) break;
                Agent* agent = nullptr;
                for (Agent& a : agents) {
                    if (a.address.sin_port == from.sin_port &&
                        a.address.sin_addr.s_addr == from.sin_addr.s_addr)
                        agent = &a;
                }
                if (agent == nullptr && agents.size() < kMaxAgents) {
                    const int upstream = bound_udp_socket();
                    if (upstream >= 0) agent = &agents.emplace_back(Agent{from, upstream});
                }
                if (agent == nullptr || drop(random)) {
                    ++up_dropped_;
                    continue;
                }
                ::sendto(agent->upstream, buf.data(), static_cast<std::size_t>(n), 0,
                         reinterpret_cast<const sockaddr*>(&server), sizeof server);
                ++up_forwarded_;
            }
        }
        // From the server, back to the agent each socket stands for.
        for (std::size_t i = 1; i < fds.size(); ++i) {
            if ((fds[i].revents & POLLIN) == 0) continue;
            const Agent& agent = agents[i - 1];
            for (;;) {
                const ssize_t n = ::recv(agent.upstream, buf.data(), buf.size(), 0);
                if (n < 0) break;
                if (drop(random)) {
                    ++down_dropped_;
                    continue;
                }
                ::sendto(front_, buf.data(), static_cast<std::size_t>(n), 0,
                         reinterpret_cast<const sockaddr*>(&agent.address), sizeof agent.address);
                ++down_forwarded_;
            }
        }
    }
    for (const Agent& a : agents)
        ::close(a.upstream);
}

}  // namespace beat::test
