// tcp_load: drives a put/get server (beat_server's TCP side-port) or redis-server from C
// connections on 127.0.0.1, each keeping up to D requests in flight, and reports replies per
// second and latency percentiles.
//
// Every request stores one point: `put host<k>.cpu <value> <ts>\n` for --protocol beat, or the
// closest Redis equivalent, the inline command `HSET host<k>.cpu <ts> <value>\r\n`. Requests walk
// the keys in turn and each key's timestamps increase, so every request adds a point. The run is
// bounded by --duration (after --warmup) or by --requests.
//
// --protocol binary sends the same points as binary metric frames to beat_server's --binary port
// (common/binary_frame.hpp), which has no replies: --requests frames are written as fast as the
// connections take them, then each connection's end is sent, and the run ends when the server has
// closed every connection, that is once it has handled every frame. Nothing is in flight and
// there are no latencies; rate counts the frames over the whole run.
//
// Prints one line on stdout:
//   "replies=N errors=E seconds=S rate=R p50_us=.. p99_us=.. p999_us=.. max_us=.. cpu=F cpu_s=C
//    wait_s=W"
// where rate counts replies per second in the measured window, cpu_s is this process's CPU time
// in seconds, cpu that time over the run's wall time (near 1.0 means the generator, not the
// server, set the pace) and wait_s the seconds it spent waiting for a CPU.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/binary_frame.hpp"
#include "tests/bench/bench_clock.hpp"

namespace {

using beat::bench::now_ns;

enum class Protocol { beat, redis, binary };

// Bytes of frames a --protocol binary connection queues at a time.
constexpr std::size_t kBinaryChunk = 64 * 1024;

constexpr std::size_t kMaxSamples = 32'000'000;   // Latency samples kept (4 bytes each).
constexpr std::int64_t kGraceNs = 2'000'000'000;  // Time allowed for replies still in flight.

struct Options {
    std::uint16_t port = 0;
    Protocol protocol = Protocol::beat;
    unsigned conns = 50;
    unsigned depth = 1;
    double duration = 3;
    double warmup = 0.5;
    std::uint64_t requests = 0;  // 0: run for --duration.
    unsigned keys = 4000;
    std::int64_t ts_base = 1'700'000'000;
};

// One client connection: its unsent bytes, the send times of its requests in flight (a ring of
// `depth` entries) and where its reply parser stands.
struct Conn {
    int fd = -1;
    std::string out;
    std::size_t out_done = 0;
    bool want_write = false;
    std::vector<std::int64_t> sent_at;
    std::size_t head = 0;
    unsigned in_flight = 0;
    bool at_reply_start = true;
    bool at_line_start = true;
    bool ended = false;   // --protocol binary: the end of the stream was sent.
    bool closed = false;  // --protocol binary: the server closed the connection.
};

// Appends request number `n` to `out`.
void append_request(const Options& o, std::uint64_t n, std::string& out) {
    char key[32], value[32], ts[32];
    const int key_len =
        std::snprintf(key, sizeof key, "host%05u.cpu", static_cast<unsigned>(n % o.keys));
    const double v = static_cast<double>(n % 4000) * 0.25;
    const auto value_end = std::to_chars(value, value + sizeof value, v).ptr;
    const auto ts_end =
        std::to_chars(ts, ts + sizeof ts, o.ts_base + static_cast<std::int64_t>(n / o.keys)).ptr;
    const std::string_view k(key, static_cast<std::size_t>(key_len));
    const std::string_view val(value, static_cast<std::size_t>(value_end - value));
    const std::string_view t(ts, static_cast<std::size_t>(ts_end - ts));
    if (o.protocol == Protocol::binary) {
        beat::encode_frame(
            static_cast<std::uint64_t>(o.ts_base + static_cast<std::int64_t>(n / o.keys)) *
                1'000'000,
            k, v, out);
    } else if (o.protocol == Protocol::beat) {
        out.append("put ").append(k).append(" ").append(val).append(" ").append(t).append("\n");
    } else {
        out.append("HSET ").append(k).append(" ").append(t).append(" ").append(val).append("\r\n");
    }
}

class Load {
  public:
    explicit Load(const Options& o) : o_(o) {
        ep_ = epoll_create1(EPOLL_CLOEXEC);
        if (ep_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + strerror(errno));
        conns_.resize(o.conns);
        for (Conn& c : conns_)
            open(c);
    }

    // Runs the load and prints the summary line; returns false when replies were missing.
    bool run() {
        rusage ru0{};
        getrusage(RUSAGE_SELF, &ru0);
        const std::int64_t start = now_ns();
        measure_from_ = o_.requests ? start : start + static_cast<std::int64_t>(o_.warmup * 1e9);
        const std::int64_t end = measure_from_ + static_cast<std::int64_t>(o_.duration * 1e9);
        for (Conn& c : conns_) {
            fill(c, start);
            flush(c);
        }
        std::vector<epoll_event> events(256);
        std::vector<char> buf(256 * 1024);
        std::int64_t now = start;
        bool stopping = false;
        while (true) {
            if (!stopping && (now >= end || (o_.requests && issued_ >= o_.requests))) {
                stopping = true;
            }
            if (stopping && (finished() || now >= end + kGraceNs)) break;
            const int n = epoll_wait(ep_, events.data(), static_cast<int>(events.size()), 10);
            if (n < 0 && errno != EINTR) throw std::runtime_error("epoll_wait failed");
            now = now_ns();
            for (int i = 0; i < n; ++i) {
                Conn& c = conns_[events[i].data.u32];
                if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) read_replies(c, buf, now);
                if (!stopping && now < end) fill(c, now);
                flush(c);
            }
        }
        if (binary() && closed_ == conns_.size()) counted_ = issued_;
        const std::int64_t measured_end = o_.requests ? now : end;
        rusage ru1{};
        getrusage(RUSAGE_SELF, &ru1);
        const double cpu = seconds(ru1.ru_utime) + seconds(ru1.ru_stime) - seconds(ru0.ru_utime) -
                           seconds(ru0.ru_stime);
        const double secs = static_cast<double>(measured_end - measure_from_) / 1e9;
        std::printf(
            "replies=%llu errors=%llu seconds=%.3f rate=%.0f p50_us=%.1f p99_us=%.1f "
            "p999_us=%.1f max_us=%.1f cpu=%.2f cpu_s=%.2f wait_s=%.3f\n",
            static_cast<unsigned long long>(counted_), static_cast<unsigned long long>(errors_),
            secs, static_cast<double>(counted_) / secs, percentile(0.50), percentile(0.99),
            percentile(0.999), percentile(1.0), cpu / (static_cast<double>(now - start) / 1e9), cpu,
            beat::bench::runqueue_wait_seconds());
        if (!finished()) {
            std::fprintf(stderr,
                         "tcp_load: %u replies (or %zu closes) missing after the grace period\n",
                         in_flight_, conns_.size() - closed_);
            return false;
        }
        return true;
    }

  private:
    bool binary() const noexcept { return o_.protocol == Protocol::binary; }
    // Every request answered; with --protocol binary, every connection closed by the server.
    bool finished() const noexcept { return binary() ? closed_ == conns_.size() : in_flight_ == 0; }

    static double seconds(const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

    void open(Conn& c) {
        c.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c.fd < 0) throw std::runtime_error(std::string("socket: ") + strerror(errno));
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(o_.port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(c.fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
            throw std::runtime_error(std::string("connect: ") + strerror(errno));
        }
        const int one = 1;
        setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        const int flags = fcntl(c.fd, F_GETFL);
        fcntl(c.fd, F_SETFL, flags | O_NONBLOCK);
        c.sent_at.assign(o_.depth, 0);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u32 = static_cast<std::uint32_t>(&c - conns_.data());
        if (epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) != 0) throw std::runtime_error("epoll_ctl");
    }

    // Queues requests until `depth` are in flight (or the request budget is spent); binary
    // frames, kBinaryChunk bytes of them at a time.
    void fill(Conn& c, std::int64_t now) {
        if (binary()) {
            while (c.out.size() - c.out_done < kBinaryChunk && issued_ < o_.requests)
                append_request(o_, issued_++, c.out);
            return;
        }
        while (c.in_flight < o_.depth && (!o_.requests || issued_ < o_.requests)) {
            append_request(o_, issued_++, c.out);
            c.sent_at[(c.head + c.in_flight) % o_.depth] = now;
            ++c.in_flight;
            ++in_flight_;
        }
    }

    void flush(Conn& c) {
        while (c.out_done < c.out.size()) {
            const ssize_t w = write(c.fd, c.out.data() + c.out_done, c.out.size() - c.out_done);
            if (w > 0) {
                c.out_done += static_cast<std::size_t>(w);
            } else if (w < 0 && errno == EINTR) {
                continue;
            } else if (w < 0 && errno == EAGAIN) {
                break;
            } else {
                throw std::runtime_error(std::string("write: ") + strerror(errno));
            }
        }
        if (c.out_done == c.out.size()) {
            c.out.clear();
            c.out_done = 0;
        }
        if (binary() && c.out.empty() && issued_ >= o_.requests && !c.ended) {
            if (shutdown(c.fd, SHUT_WR) != 0) throw std::runtime_error("shutdown failed");
            c.ended = true;
        }
        // A binary connection writes on for as long as frames are left to send.
        const bool want = !c.out.empty() || (binary() && !c.ended);
        if (want != c.want_write) {
            epoll_event ev{};
            ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
            ev.data.u32 = static_cast<std::uint32_t>(&c - conns_.data());
            epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
            c.want_write = want;
        }
    }

    void read_replies(Conn& c, std::vector<char>& buf, std::int64_t now) {
        while (true) {
            const ssize_t r = read(c.fd, buf.data(), buf.size());
            if (r < 0 && errno == EINTR) continue;
            if (r < 0 && errno == EAGAIN) return;
            if (r == 0 && binary() && c.ended && !c.closed) {
                c.closed = true;
                ++closed_;
                epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
                return;
            }
            if (r <= 0) throw std::runtime_error("the server closed a connection");
            if (binary()) {
                errors_ += static_cast<std::uint64_t>(r);  // The binary port never replies.
                continue;
            }
            for (ssize_t i = 0; i < r; ++i)
                parse_byte(c, buf[static_cast<std::size_t>(i)], now);
            if (static_cast<std::size_t>(r) < buf.size()) return;
        }
    }

    // A beat reply ends with an empty line ("ok\n\n", "error\n...\n\n"); a Redis reply to HSET is
    // one line (":1\r\n", "-ERR ...\r\n").
    void parse_byte(Conn& c, char ch, std::int64_t now) {
        if (c.at_reply_start) {
            c.at_reply_start = false;
            const bool ok = o_.protocol == Protocol::beat ? ch == 'o' : ch == ':';
            if (!ok) ++errors_;
        }
        if (ch != '\n') {
            c.at_line_start = false;
            return;
        }
        if (o_.protocol == Protocol::beat && !c.at_line_start) {
            c.at_line_start = true;
            return;
        }
        complete(c, now);
        c.at_reply_start = true;
        c.at_line_start = true;
    }

    void complete(Conn& c, std::int64_t now) {
        if (c.in_flight == 0) throw std::runtime_error("a reply arrived with no request in flight");
        const std::int64_t sent = c.sent_at[c.head];
        c.head = (c.head + 1) % o_.depth;
        --c.in_flight;
        --in_flight_;
        if (now < measure_from_ || sent < measure_from_) return;
        ++counted_;
        if (latencies_.size() < kMaxSamples) {
            const std::int64_t ns = now - sent;
            latencies_.push_back(
                static_cast<std::uint32_t>(std::min<std::int64_t>(ns, UINT32_MAX)));
        }
    }

    double percentile(double p) {
        if (latencies_.empty()) return 0;
        const auto k =
            std::min(latencies_.size() - 1,
                     static_cast<std::size_t>(p * static_cast<double>(latencies_.size())));
        std::nth_element(latencies_.begin(), latencies_.begin() + static_cast<std::ptrdiff_t>(k),
                         latencies_.end());
        return latencies_[k] / 1e3;
    }

    Options o_;
    int ep_ = -1;
    std::vector<Conn> conns_;
    std::uint64_t issued_ = 0;
    unsigned in_flight_ = 0;
    std::size_t closed_ = 0;  // --protocol binary: connections the server has closed.
    std::int64_t measure_from_ = 0;
    std::uint64_t counted_ = 0;
    std::uint64_t errors_ = 0;
    std::vector<std::uint32_t> latencies_;
};

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Sends put requests (or Redis HSETs) to 127.0.0.1:PORT and measures replies."};
    Options o;
    std::string protocol = "beat";
    app.add_option("--port", o.port, "TCP port on 127.0.0.1")
        ->required()
        ->check(CLI::Range(1, 65535));
    app.add_option(
           "--protocol", protocol,
           "beat (put lines), redis (inline HSET) or binary (metric frames, with --requests)")
        ->check(CLI::IsMember({"beat", "redis", "binary"}));
    app.add_option("--conns", o.conns, "connections")->check(CLI::Range(1, 1000));
    app.add_option("--depth", o.depth, "requests in flight per connection")
        ->check(CLI::Range(1, 1024));
    app.add_option("--duration", o.duration, "seconds measured")->check(CLI::Range(0.1, 120.0));
    app.add_option("--warmup", o.warmup, "seconds run before measuring")
        ->check(CLI::Range(0.0, 10.0));
    app.add_option("--requests", o.requests,
                   "send exactly this many requests, measure all of them, and stop (--duration "
                   "still bounds the run)")
        ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{100'000'000}));
    app.add_option("--keys", o.keys, "distinct keys")->check(CLI::Range(1, 1'000'000));
    app.add_option("--ts-base", o.ts_base, "first timestamp of every key");
    CLI11_PARSE(app, argc, argv);
    o.protocol = protocol == "redis"    ? Protocol::redis
                 : protocol == "binary" ? Protocol::binary
                                        : Protocol::beat;
    if (o.protocol == Protocol::binary && o.requests == 0) {
        std::fprintf(stderr, "tcp_load: --protocol binary needs --requests\n");
        return 2;
    }
    try {
        Load load(o);
        return load.run() ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tcp_load: %s\n", e.what());
        return 1;
    }
}
