// A restart under a beating fleet, with the real binary and a real database: however long the
// store takes to load, no host that keeps beating is reported silent.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>

#include "common/wire.hpp"
#include "tests/integration/harness.hpp"

using namespace beat;
using namespace beat::test;

namespace {

// Hosts "fleet-0" .. "fleet-<hosts-1>" beating every `interval` to 127.0.0.1:`port` from a thread
// of their own, each beat carrying one metric, until destroyed. Sends go on while no server
// listens (the datagrams are then lost, as they would be on a network).
class Fleet {
  public:
    Fleet(std::uint16_t port, int hosts, std::chrono::milliseconds interval)
        : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)),
          thread_([this, port, hosts, interval] { run(port, hosts, interval); }) {}
    Fleet(const Fleet&) = delete;
    Fleet& operator=(const Fleet&) = delete;
    ~Fleet() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }

  private:
    void run(std::uint16_t port, int hosts, std::chrono::milliseconds interval) {
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        auto next = Clock::now();
        // Bounded: a test that forgets to stop the fleet still ends within a minute.
        const auto beats = static_cast<std::uint64_t>(60'000 / interval.count());
        for (std::uint64_t seq = 1; !stop_ && seq < beats; ++seq) {
            for (int h = 0; h < hosts; ++h) {
                Heartbeat hb;
                hb.host = "fleet-" + std::to_string(h);
                hb.incarnation = 1;
                hb.sequence = seq;
                hb.send_time_ms = unix_now_ms();
                hb.interval_ms = static_cast<std::uint32_t>(interval.count());
                hb.metrics = {{"m", static_cast<double>(seq)}};
                const std::string d = pack_beat(hb).at(0);
                ::sendto(fd_, d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&to),
                         sizeof to);
            }
            next += interval;
            std::this_thread::sleep_until(next);  // The fleet's cadence, not a wait for the server.
        }
    }

    int fd_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// Puts `n` points under 200 keys on one pipelined connection, in rounds of 10,000, each round's
// replies read before the next is sent.
void fill(std::uint16_t tcp_port, std::size_t n) {
    TcpConn c(tcp_port);
    const std::int64_t base = unix_now_ms() / 1000 - 86'400;
    constexpr std::size_t kRound = 10'000;
    for (std::size_t i = 0; i < n;) {
        std::string round;
        const std::size_t end = std::min(n, i + kRound);
        for (; i < end; ++i) {
            round += "put k" + std::to_string(i % 200) + " " + std::to_string(i) + " " +
                     std::to_string(base + static_cast<std::int64_t>(i / 200)) + "\n";
        }
        c.send(round);
        c.read_replies(kRound, 30s);
    }
}

std::unique_ptr<Process> start(const TempDir& dir, const std::string& udp) {
    return std::make_unique<Process>(std::vector<std::string>{server_bin(), "--udp", udp, "--tcp",
                                                              "127.0.0.1:0", "--http", "off",
                                                              "--data-dir", dir.path()});
}

}  // namespace

TEST_CASE("a restart whose load outlasts the timeout reports no beating host silent",
          "[storage][liveness]") {
    // 100 hosts beating every 50 ms: each is declared silent 150 ms (3 intervals) after its last
    // beat. The store holds enough points that loading them takes longer than that, with a
    // margin: on the 2-core CI machine under load, 3 M points took 0.69 s to load (1.5 M took
    // 0.26 s, too close to the timeout to rely on when the machine is idle).
    constexpr int kHosts = 100;
    constexpr auto kInterval = 50ms;
    constexpr std::int64_t kTimeoutMs = 3 * kInterval.count();
    TempDir dir;
    auto first = start(dir, "127.0.0.1:0");
    const auto listening = first->wait_for_line("listening ", 10s);
    REQUIRE(listening);
    const std::string udp = field(*listening, "udp");
    const auto tcp_port =
        static_cast<std::uint16_t>(std::stoi(field(*listening, "tcp").substr(10)));
    fill(tcp_port, 3'000'000);
    Fleet fleet(static_cast<std::uint16_t>(std::stoi(udp.substr(10))), kHosts, kInterval);
    REQUIRE(first->wait_for_line("host new host=fleet-" + std::to_string(kHosts - 1)));
    first->signal(SIGTERM);
    REQUIRE(first->wait_exit(10s) == 0);

    // Same port: the fleet never stopped beating.
    auto second = start(dir, udp);
    const auto loaded = second->wait_for_line("storage: loaded ", 30s);
    REQUIRE(loaded);
    CHECK(loaded->find(" and " + std::to_string(kHosts) + " hosts ") != std::string::npos);
    // The precondition of the test: the load took longer than a timeout.
    const auto took = loaded->substr(loaded->find(" in ") + 4);
    REQUIRE(std::stoll(took) > kTimeoutMs);
    REQUIRE(second->wait_for_line("listening ", 10s));

    // Ten timeouts under the fleet's beats: nobody is reported silent, nobody is new.
    CHECK_FALSE(second->wait_for_line("host silent", std::chrono::milliseconds(10 * kTimeoutMs)));
    second->signal(SIGTERM);
    REQUIRE(second->wait_exit(10s) == 0);
    std::size_t accepted = 0;
    for (const auto& l : second->lines()) {
        CHECK(l.find("host silent") == std::string::npos);
        CHECK(l.find("host new") == std::string::npos);
        if (l.find(" stopped ") != std::string::npos) accepted = std::stoul(field(l, "accepted"));
    }
    // Every host beat after the restart: at least one beat each in the ten timeouts.
    CHECK(accepted >= kHosts);
}
