// A hostile network against the real server: random and mutated datagrams, random and mutated
// request streams, a slowloris connection, a client that never reads, a line of 1 MB and more
// connections from one address than it may hold, all while a well-behaved agent beats and a
// well-behaved client puts and gets. The well-behaved ones must see no error, and the server's
// memory must stay bounded. Every loop is bounded in count and in time; the random choices come
// from a fixed seed.
#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/client.hpp"
#include "common/protocol.hpp"
#include "common/wire.hpp"
#include "tests/integration/harness.hpp"

using namespace beat;
using namespace beat::test;

namespace {

constexpr std::string_view kSteadyHost = "steady";
constexpr auto kIdleTimeout = 2s;
constexpr std::size_t kPerAddress = 40;
constexpr std::size_t kDatagrams = 50'000;
constexpr std::size_t kStreams = 5'000;
// The least time the abuse lasts, so that the slowloris and the client that never reads are
// each closed by the idle timeout while the rest goes on; and the most.
constexpr auto kMinAbuse = 7s;
constexpr auto kMaxAbuse = 25s;
// The loop's millisecond clock may trail the real time by a clock tick.
constexpr auto kClockSlack = 10ms;
// How much the server's resident memory may grow under all of it: a few MiB in practice. The
// bound leaves room for the 1 MiB of replies a client may have queued, 2000 hosts and the keys
// the abuse creates. Not checked under sanitizers, whose quarantine keeps freed memory.
constexpr std::size_t kRssGrowthKib = 32 * 1024;

using Rng = std::mt19937_64;

std::size_t below(Rng& rng, std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
}

std::string random_bytes(Rng& rng, std::size_t n) {
    std::string s(n, '\0');
    for (char& c : s)
        c = static_cast<char>(below(rng, 256));
    return s;
}

// A valid datagram from one of 50 made-up hosts, with up to 8 metrics.
std::string fuzz_beat(Rng& rng) {
    Heartbeat hb;
    hb.host = "fuzz-" + std::to_string(below(rng, 50));
    hb.incarnation = below(rng, 4);
    hb.sequence = below(rng, 1'000'000);
    hb.send_time_ms = 1'700'000'000'000 + static_cast<std::int64_t>(below(rng, 1'000'000));
    hb.interval_ms = 1000;
    for (std::size_t i = below(rng, 9); i > 0; --i)
        hb.metrics.push_back({"m" + std::to_string(below(rng, 20)), static_cast<double>(i)});
    return pack_beat(hb).front();
}

// A datagram made from a valid one by flipping bits, truncating, extending or overwriting it,
// or nothing but random bytes (sometimes longer than any datagram may be).
std::string mutated_datagram(Rng& rng) {
    std::string d = fuzz_beat(rng);
    switch (below(rng, 6)) {
        case 0:
            for (std::size_t i = 1 + below(rng, 8); i > 0; --i)
                d[below(rng, d.size())] ^= static_cast<char>(1u << below(rng, 8));
            break;
        case 1:
            d.resize(below(rng, d.size()));
            break;
        case 2:
            d += random_bytes(rng, 1 + below(rng, 64));
            break;
        case 3: {
            const std::size_t at = below(rng, d.size());
            const std::size_t n = std::min(d.size() - at, 1 + below(rng, 16));
            d.replace(at, n, random_bytes(rng, n));
            break;
        }
        case 4:
            d = random_bytes(rng, below(rng, kMaxDatagram + 200));
            break;
        default:
            break;  // Valid as it is: these hosts do exist.
    }
    return d;
}

// True when `d` would pass for a beat of the well-behaved host, which the abuse must not forge.
bool forges_steady(std::string_view d) {
    HeartbeatView v;
    return decode_heartbeat(d, v) == DecodeError::ok && v.host == kSteadyHost;
}

// One request line, well-formed or not, without its '\n'.
std::string random_request(Rng& rng) {
    const std::string key = "fz." + std::to_string(below(rng, 200));
    const std::string ts = std::to_string(1'700'000'000 + below(rng, 100'000));
    switch (below(rng, 14)) {
        case 0:
            return "put " + key + " " + std::to_string(below(rng, 1000)) + ".5 " + ts;
        case 1:
            return "get " + key;
        case 2:
            return "put " + key + " nan " + ts;
        case 3:
            return "put " + key + " -inf " + ts;
        case 4:
            return "put " + key + " 1e400 " + ts;
        case 5:
            return "put " + key + " 1 99999999999999999999";
        case 6:
            return "put " + key + " 1 -99999999999";
        case 7:
            return "put " + std::string(512 + below(rng, 2000), 'k') + " 1 " + ts;
        case 8:
            return "get fz.\x01\x7f";
        case 9:
            return "put fz.\xc3\x28 1 " + ts;
        case 10:
            return "put  " + key + " 1 " + ts;
        case 11:
            return "get " + key + "\r";
        case 12:
            return "get";
        default:
            return random_bytes(rng, below(rng, 200));
    }
}

// A byte stream of random requests, then mutated: bytes flipped, dropped and inserted.
std::string mutated_stream(Rng& rng) {
    std::string s;
    for (std::size_t i = 1 + below(rng, 20); i > 0; --i)
        s += random_request(rng) + "\n";
    for (std::size_t i = below(rng, 6); i > 0 && !s.empty(); --i) {
        const std::size_t at = below(rng, s.size());
        switch (below(rng, 3)) {
            case 0:
                s[at] ^= static_cast<char>(1u << below(rng, 8));
                break;
            case 1:
                s.erase(at, 1);
                break;
            default:
                s.insert(at, 1, static_cast<char>(below(rng, 256)));
                break;
        }
    }
    return s;
}

// Sends `stream`, ends it, and checks the replies: exactly one per '\n', each a whole ok or
// error reply. Returns an empty string, or what was wrong.
std::string exchange_stream(std::uint16_t port, const std::string& stream) {
    TcpConn c(port);
    c.send(stream);
    ::shutdown(c.fd(), SHUT_WR);
    std::string_view replies;
    std::string text;
    try {
        text = c.read_until_closed(5s);
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    replies = text;
    const auto lines = static_cast<std::size_t>(std::count(stream.begin(), stream.end(), '\n'));
    for (std::size_t i = 0; i < lines; ++i) {
        const Reply r = parse_reply(replies);
        if (r.kind != Reply::Kind::ok && r.kind != Reply::Kind::error) {
            return "reply " + std::to_string(i) + " of " + std::to_string(lines) + " unreadable";
        }
        replies.remove_prefix(r.consumed);
    }
    return replies.empty() ? "" : "more replies than requests";
}

// The well-behaved agent and client: beats every 250 ms, and puts then gets a point every
// 50 ms, each reply checked. Runs on its own thread until `stop`; records, never asserts.
struct SteadyClient {
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> beats{0}, exchanges{0};
    std::string error;  // The first thing that went wrong; read after join().

    void run(std::uint16_t udp_port, std::uint16_t tcp_port) {
        try {
            Client client("127.0.0.1", tcp_port, 2s);
            auto next_beat = Clock::now();
            for (std::int64_t i = 0; !stop && error.empty(); ++i) {
                if (Clock::now() >= next_beat) {
                    beat(udp_port);
                    next_beat += 250ms;
                }
                const std::string key = "steady.put." + std::to_string(i % 100);
                const double value = static_cast<double>(i) * 0.5;
                const std::int64_t ts = 1'700'000'000 + i;
                client.put(key, value, ts);
                const SeriesMap got = client.get(key);
                const auto it = got.find(key);
                if (got.size() != 1 || it == got.end() ||
                    it->second.back() != Points::value_type{ts, value}) {
                    error = "get " + key + " did not return the point just put";
                }
                ++exchanges;
                std::this_thread::sleep_for(50ms);
            }
        } catch (const std::exception& e) {
            error = e.what();
        }
    }

    void beat(std::uint16_t udp_port) {
        Heartbeat hb;
        hb.host = std::string(kSteadyHost);
        hb.incarnation = 1;
        hb.sequence = ++beats;
        hb.send_time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
        hb.interval_ms = 250;
        hb.metrics = {{"load", 1.0}};
        send_udp(udp_port, pack_beat(hb).front());
    }
};

// True once the server has closed `fd` (a reset or an end of stream), without reading any data
// that came before it.
bool closed_by_server(int fd) {
    pollfd p{fd, POLLRDHUP, 0};
    return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

}  // namespace

TEST_CASE("a hostile network does not disturb well-behaved clients or grow the server",
          "[server][hostile]") {
    Server s = start_server({"--max-hosts", "2000", "--max-keys", "50000", "--timeout", "2",
                             "--tcp-idle-timeout", "2", "--max-connections-per-address",
                             std::to_string(kPerAddress)});
    const pid_t pid = s.proc->pid();
    Rng rng(20'241'121);

    // A key whose "get" reply is about 50 KiB, for the client that never reads.
    {
        TcpConn setup(s.tcp_port);
        std::string puts;
        for (int i = 0; i < 2000; ++i)
            puts += "put hog.key " + std::to_string(i) + ".25 " + std::to_string(i) + "\n";
        setup.send(puts);
        setup.read_replies(2000);
    }

    SteadyClient steady;
    std::thread steady_thread([&] { steady.run(s.udp_port, s.tcp_port); });
    struct Join {
        SteadyClient& c;
        std::thread& t;
        ~Join() {
            c.stop = true;
            if (t.joinable()) t.join();
        }
    } join{steady, steady_thread};
    REQUIRE(s.proc->wait_for_line("host new host=steady "));
    const std::size_t rss_before = vm_rss_kib(pid);
    std::size_t rss_max = rss_before;

    // The slowloris: one byte a second of a line it never ends; reopened each time it is closed.
    const std::string slow_line = "put slow.key 1 1700000000";
    auto slow = std::make_unique<TcpConn>(s.tcp_port);
    auto slow_opened = Clock::now();
    auto slow_last_byte = slow_opened - 1s;
    std::size_t slow_sent = 0;
    std::vector<Clock::duration> slow_lifetimes;

    // The client that pipelines requests and never reads a reply. It sends more than the server
    // reads before it stops reading, so that the server's close resets the connection, which
    // this side can see without reading.
    TcpConn hog(s.tcp_port);
    int small = 64 * 1024;
    setsockopt(hog.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    std::string gets;
    for (int i = 0; i < 20'000; ++i)
        gets += "get hog.key\n";
    const auto hog_started = Clock::now();
    const std::size_t hog_sent = send_what_fits(hog.fd(), gets);
    std::optional<Clock::time_point> hog_closed;

    std::size_t datagrams = 0, forged_skipped = 0, streams = 0, stream_bytes = 0;
    std::vector<std::string> stream_errors;
    bool megabyte_done = false;
    std::string megabyte_reply;
    bool steady_silent = false;

    const auto abuse_start = Clock::now();
    auto streams_done = abuse_start + kMaxAbuse;
    while (Clock::now() < abuse_start + kMaxAbuse) {
        const auto now = Clock::now();
        const bool counts_done = datagrams >= kDatagrams && streams >= kStreams && megabyte_done;
        if (counts_done && now >= abuse_start + kMinAbuse && hog_closed &&
            slow_lifetimes.size() >= 2) {
            break;
        }
        for (int i = 0; i < 200 && datagrams < kDatagrams; ++i, ++datagrams) {
            const std::string d = mutated_datagram(rng);
            if (forges_steady(d)) {
                ++forged_skipped;
                continue;
            }
            send_udp(s.udp_port, d);
        }
        for (int i = 0; i < 20 && streams < kStreams; ++i) {
            const std::string stream = mutated_stream(rng);
            stream_bytes += stream.size();
            if (std::string e = exchange_stream(s.tcp_port, stream); !e.empty()) {
                stream_errors.push_back(std::move(e));
            }
            if (++streams == kStreams) streams_done = Clock::now();
        }
        if (!megabyte_done && now >= abuse_start + 1s) {
            // 1 MB without a newline: the server answers "line too long" after 64 KiB and closes.
            TcpConn big(s.tcp_port);
            const std::string mb(1 << 20, 'x');
            std::size_t sent = 0;
            const auto deadline = Clock::now() + 5s;
            while (sent < mb.size() && Clock::now() < deadline && !closed_by_server(big.fd())) {
                sent += send_what_fits(big.fd(), std::string_view(mb).substr(sent));
                pollfd p{big.fd(), POLLOUT | POLLRDHUP, 0};
                ::poll(&p, 1, 50);
            }
            megabyte_reply = big.read_until_closed(5s);
            megabyte_done = true;
        }
        if (slow) {
            if (closed_by_server(slow->fd())) {
                slow_lifetimes.push_back(Clock::now() - slow_opened);
                slow.reset();
            } else if (now - slow_last_byte >= 1s) {
                ::send(slow->fd(), &slow_line[slow_sent++ % slow_line.size()], 1, MSG_NOSIGNAL);
                slow_last_byte = now;
            }
        }
        if (!slow && slow_lifetimes.size() < 2) {
            slow = std::make_unique<TcpConn>(s.tcp_port);
            slow_opened = Clock::now();
            slow_last_byte = slow_opened - 1s;
        }
        if (!hog_closed && closed_by_server(hog.fd())) hog_closed = Clock::now();
        // Reading the server's log keeps it from blocking on a full pipe.
        steady_silent |= s.proc->wait_for_line("host silent host=steady ", 1ms).has_value();
        rss_max = std::max(rss_max, vm_rss_kib(pid));
        if (counts_done) std::this_thread::sleep_for(50ms);  // Waiting out the idle timeouts.
    }
    const auto abuse_time = Clock::now() - abuse_start;
    const auto streams_time = streams_done - abuse_start;

    // More connections from 127.0.0.1 than it may hold: the steady client's, the slowloris's if
    // open, and as many new ones as are let in; every one beyond the limit is closed unanswered.
    constexpr std::size_t kFlood = kPerAddress + 10;
    std::vector<std::unique_ptr<TcpConn>> flood;
    std::size_t admitted = 0, refused = 0;
    for (std::size_t i = 0; i < kFlood; ++i) {
        flood.push_back(std::make_unique<TcpConn>(s.tcp_port));
        // A refused connection may be closed already: the request may not go out.
        const std::string_view get = "get steady.load\n";
        ::send(flood.back()->fd(), get.data(), get.size(), MSG_NOSIGNAL);
    }
    for (auto& c : flood) {
        try {
            admitted += c->read_replies(1, 5s).rfind("ok\n", 0) == 0;
        } catch (const std::runtime_error&) {
            refused += closed_by_server(c->fd());
        }
    }
    const std::size_t already_open = 1 + (slow ? 1 : 0);
    flood.clear();
    slow.reset();

    steady.stop = true;
    steady_thread.join();
    const auto steady_stopped = Clock::now();
    for (const auto& l : s.proc->lines())
        steady_silent |= l.find("host silent host=steady ") != std::string::npos;
    const std::size_t rss_after = vm_rss_kib(pid);
    rss_max = std::max(rss_max, rss_after);

    INFO("datagrams sent " << datagrams - forged_skipped << " (" << forged_skipped
                           << " that forged the steady host left out), streams " << streams << " ("
                           << stream_bytes << " bytes, done after "
                           << std::chrono::duration<double>(streams_time).count()
                           << " s), abuse for " << std::chrono::duration<double>(abuse_time).count()
                           << " s");
    INFO("steady client: " << steady.beats << " beats, " << steady.exchanges
                           << " put+get exchanges");
    INFO("server RSS before " << rss_before << " KiB, max " << rss_max << " KiB, after "
                              << rss_after << " KiB");

    // The well-behaved ones saw nothing of it.
    CHECK(steady.error.empty());
    CHECK(steady.exchanges >= 50);
    CHECK_FALSE(steady_silent);
    // All of it was sent, and every request got its reply.
    CHECK(datagrams == kDatagrams);
    CHECK(streams == kStreams);
    INFO((stream_errors.empty() ? std::string() : "first stream error: " + stream_errors.front()));
    CHECK(stream_errors.empty());
    // The line of 1 MB got its error, and the connection was closed.
    CHECK(megabyte_done);
    CHECK(megabyte_reply == "error\nline too long\n\n");
    // The slowloris was closed by the idle timeout each time, not before it.
    REQUIRE(slow_lifetimes.size() >= 2);
    for (const auto& life : slow_lifetimes) {
        CHECK(life >= kIdleTimeout - kClockSlack);
        CHECK(life < kIdleTimeout + 2s);
    }
    // So was the client that never reads, once its requests stopped being handled.
    CHECK(hog_sent > 0);
    REQUIRE(hog_closed);
    CHECK(*hog_closed - hog_started >= kIdleTimeout - kClockSlack);
    CHECK(*hog_closed - hog_started < kIdleTimeout + 5s);
    // The address held at most its limit; the rest were closed unanswered.
    CHECK(admitted + already_open == kPerAddress);
    CHECK(refused == kFlood - admitted);
    CHECK(s.proc->wait_for_line("tcp per-address connection limit reached"));
    // The steady host is reported silent once it does stop, so the log was read right.
    const auto silent = s.proc->wait_for_line_at("host silent host=steady ", 5s);
    REQUIRE(silent);
    CHECK(silent->second - steady_stopped >= 2s - 250ms - kClockSlack);
    // Memory stayed bounded, and the server still answers and stops cleanly.
    if (!sanitized()) CHECK(rss_max < rss_before + kRssGrowthKib);
    CHECK(tcp_request(s.tcp_port, "get steady.load\n").rfind("ok\nsteady.load 1.0 ", 0) == 0);
    s.proc->signal(SIGTERM);
    CHECK(s.proc->wait_exit(5s) == 0);
}
