// The HTTP port's fleet pages against the real server with a large fleet: /metrics is written a
// slice at a time as the client reads it, so put/get requests and beats are served meanwhile.
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/wire.hpp"
#include "tests/integration/harness.hpp"

using namespace beat::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

// The fleet: 100,000 hosts (20,000 when the binaries run under sanitizers, which make everything
// several times slower), each beating with 4 metrics and a 10 minute interval, so that none goes
// silent during the test.
unsigned fleet_size() {
    return sanitized() ? 20'000 : 100'000;
}

std::string beat_of(unsigned h, std::uint64_t sequence) {
    beat::Heartbeat hb;
    hb.host = fmt::format("node-{:06}.dc1.example.net", h);
    hb.incarnation = 1;
    hb.sequence = sequence;
    hb.send_time_ms = unix_now_ms();
    hb.interval_ms = 600'000;
    const double x = double(h % 1000) / 10.0;
    hb.metrics = {
        {"cpu", x}, {"mem.used_pct", x / 2}, {"load.1", x / 25}, {"net.eth0.rx_bps", 1e6 * x}};
    return beat::pack_beat(hb).at(0);
}

// How many hosts the status page says the server knows ("N hosts: ..."), 0 when it does not say.
std::size_t hosts_known(std::uint16_t http_port) {
    const HttpReply r = http_get(http_port, "/", 10s);
    const auto at = r.body.find(" hosts: ");
    if (at == std::string::npos) return 0;
    const auto start = r.body.find_last_not_of("0123456789", at - 1) + 1;
    return std::stoul(r.body.substr(start, at - start));
}

// Beats from every host of the fleet until the server knows them all (a datagram the socket's
// buffer dropped is sent again in the next round), at most 10 rounds.
void beat_fleet(const Server& s, unsigned hosts) {
    for (std::uint64_t round = 1; round <= 10; ++round) {
        for (unsigned h = 0; h < hosts; ++h) {
            send_udp(s.udp_port, beat_of(h, round));
            // About 2,000 datagrams a millisecond at most: the server's buffer keeps up.
            if (h % 2000 == 1999) std::this_thread::sleep_for(1ms);
        }
        for (int wait = 0; wait < 100; ++wait) {
            if (hosts_known(s.http_port) == hosts) return;
            std::this_thread::sleep_for(100ms);
        }
    }
    FAIL("the server did not learn the whole fleet");
}

// Reads a chunked body off `fd` as it arrives, checking its framing and counting its lines.
class ChunkedPage {
  public:
    // Takes the bytes read; true once the last chunk has come.
    bool take(std::string_view bytes) {
        raw_.append(bytes);
        for (;;) {
            if (!in_chunk_) {
                const auto eol = raw_.find("\r\n", pos_);
                if (eol == std::string::npos) break;
                const std::string size_text = raw_.substr(pos_, eol - pos_);
                REQUIRE(!size_text.empty());
                left_ = std::stoul(size_text, nullptr, 16);
                pos_ = eol + 2;
                if (left_ == 0) {
                    REQUIRE(raw_.substr(pos_) == "\r\n");
                    done_ = true;
                    return true;
                }
                in_chunk_ = true;
            }
            if (raw_.size() < pos_ + left_ + 2) break;
            body(std::string_view(raw_).substr(pos_, left_));
            REQUIRE(raw_.substr(pos_ + left_, 2) == "\r\n");
            pos_ += left_ + 2;
            in_chunk_ = false;
            raw_.erase(0, pos_);
            pos_ = 0;
        }
        return false;
    }

    bool done() const noexcept { return done_; }
    std::size_t bytes() const noexcept { return bytes_; }
    std::size_t lines_starting(std::string_view prefix) const {
        const auto it = counts_.find(std::string(prefix));
        return it == counts_.end() ? 0 : it->second;
    }
    // Whether the body ends with a complete line, and its last lines.
    bool ends_with_line_feed() const noexcept { return line_.empty(); }
    bool has_line(std::string_view line) const {
        return std::find(watched_.begin(), watched_.end(), line) != watched_.end();
    }

  private:
    void body(std::string_view data) {
        bytes_ += data.size();
        for (char c : data) {
            if (c != '\n') {
                line_ += c;
                continue;
            }
            const std::string family = line_.substr(0, line_.find_first_of("{ "));
            ++counts_[family + (line_.find('{') == std::string::npos ? " " : "{")];
            if (line_.starts_with("beat_registry_hosts ") || line_.starts_with("beat_hosts{"))
                watched_.push_back(line_);
            line_.clear();
        }
    }

    std::string raw_;
    std::size_t pos_ = 0;
    std::size_t left_ = 0;
    bool in_chunk_ = false;
    bool done_ = false;
    std::size_t bytes_ = 0;
    std::string line_;
    std::map<std::string, std::size_t> counts_;
    std::vector<std::string> watched_;
};

}  // namespace

TEST_CASE(
    "put/get requests are answered within 250 ms while a 100,000-host /metrics is read "
    "slowly",
    "[server][http][streaming]") {
    const unsigned hosts = fleet_size();
    Server s = start_server({"--max-keys", "1000000", "--durability", "off"});
    // A line is logged for each new host: read them as they come, so that the server never waits
    // on a full stderr pipe.
    std::atomic<bool> draining{true};
    std::thread drain([&] {
        while (draining)
            s.proc->wait_for_line("no such line", 20ms);
    });
    struct Join {
        std::atomic<bool>& flag;
        std::thread& thread;
        ~Join() {
            flag = false;
            thread.join();
        }
    } join_drain{draining, drain};
    beat_fleet(s, hosts);

    std::atomic<bool> reading{true};
    std::int64_t worst_ping_us = 0;
    std::size_t pings = 0;
    std::string ping_error;
    std::thread pinger([&] {
        try {
            TcpConn conn(s.tcp_port);
            while (reading) {
                const auto t0 = Clock::now();
                conn.send("get ping\n");
                conn.read_replies(1, 10s);
                const auto us =
                    std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0)
                        .count();
                worst_ping_us = std::max<std::int64_t>(worst_ping_us, us);
                ++pings;
                std::this_thread::sleep_for(5ms);
            }
        } catch (const std::exception& e) {
            ping_error = e.what();
        }
    });

    // The slow reader: a small receive buffer, read 64 KiB at a time with a pause between reads.
    TcpConn page(s.http_port);
    const int rcvbuf = 128 << 10;
    ::setsockopt(page.fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    page.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    std::string head;
    bool in_body = false;
    ChunkedPage body;
    const auto start = Clock::now();
    std::vector<char> buf(64 << 10);
    while (!body.done() && Clock::now() - start < 50s) {
        pollfd p{page.fd(), POLLIN, 0};
        if (::poll(&p, 1, 1000) <= 0) continue;
        const ssize_t n = ::recv(page.fd(), buf.data(), buf.size(), 0);
        REQUIRE(n > 0);
        const std::string_view bytes(buf.data(), static_cast<std::size_t>(n));
        if (in_body) {
            body.take(bytes);
        } else {
            head.append(bytes);
            const auto end = head.find("\r\n\r\n");
            if (end == std::string::npos) continue;
            in_body = true;
            const std::string rest = head.substr(end + 4);
            head.resize(end + 4);
            body.take(rest);
        }
        std::this_thread::sleep_for(1ms);
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    reading = false;
    pinger.join();

    INFO(fmt::format("{} hosts, /metrics of {} bytes read in {:.2f} s, {} pings, worst {:.1f} ms",
                     hosts, body.bytes(), seconds, pings, worst_ping_us / 1000.0));
    CHECK(ping_error.empty());
    CHECK(pings >= 10);
    CHECK(worst_ping_us < 250'000);
    REQUIRE(head.starts_with("HTTP/1.1 200 OK\r\n"));
    CHECK(head.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
    REQUIRE(body.done());
    CHECK(body.ends_with_line_feed());
    CHECK(body.lines_starting("beat_host_up{") == hosts);
    CHECK(body.lines_starting("beat_host_beats_total{") == hosts);
    CHECK(body.lines_starting("beat_metric{") == 4 * std::size_t{hosts});
    CHECK(body.lines_starting("process_max_fds ") == 1);
    CHECK(body.has_line(fmt::format("beat_registry_hosts {}", hosts)));
    CHECK(body.has_line(fmt::format("beat_hosts{{state=\"up\"}} {}", hosts)));
    std::cout << fmt::format(
        "/metrics streamed: {} hosts, {} bytes in {:.2f} s; {} put/get pings meanwhile, worst "
        "{:.1f} ms\n",
        hosts, body.bytes(), seconds, pings, worst_ping_us / 1000.0);
}
