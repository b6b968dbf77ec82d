// udp_load: sends heartbeat datagrams from many simulated hosts to 127.0.0.1 with sendmmsg.
//
// Every host has one pre-encoded datagram; each round sends one beat per host, patching only the
// sequence number and the send time in place, so the generator spends its time in the kernel and
// not in the encoder. Traffic goes to the loopback address only, and every run is bounded by
// --duration and, optionally, --count.
//
// Prints one line on stdout: "sent=N seconds=S rate=R cpu_s=C wait_s=W" (R in datagrams per
// second, C the CPU seconds this process used, W the seconds it waited for a CPU).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/wire.hpp"
#include "tests/bench/bench_clock.hpp"

namespace {

using beat::bench::now_ns;

constexpr std::size_t kBatch = 64;  // Datagrams per sendmmsg call.

// Where the per-round fields sit in an encoded datagram.
struct PatchOffsets {
    std::size_t sequence = 0;
    std::size_t send_time = 0;
};

// Finds the 8 contiguous bytes in which `a` and `b` differ; they were encoded from beats that
// differ in one 64-bit field whose bytes all differ. Asking the encoder keeps this tool in step
// with the wire format instead of hard-coding its layout.
std::size_t differing_field(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) throw std::logic_error("encodings differ in size");
    std::size_t first = a.size(), count = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i]) {
            first = std::min(first, i);
            ++count;
        }
    }
    if (count != 8 || a.compare(first, 8, b, first, 8) == 0) {
        throw std::logic_error("cannot locate a 64-bit field in the encoding");
    }
    return first;
}

void put_be64(char* p, std::uint64_t v) noexcept {
    for (int i = 7; i >= 0; --i) {
        p[i] = static_cast<char>(v & 0xff);
        v >>= 8;
    }
}

beat::Heartbeat make_beat(std::size_t host, std::size_t metrics, std::uint32_t interval_ms,
                          std::uint64_t sequence, std::int64_t send_time_ms) {
    static const char* const kNames[] = {"cpu.user", "cpu.system", "load1",  "load5",
                                         "load15",   "mem.used",   "net.rx", "net.tx"};
    beat::Heartbeat hb;
    char name[32];
    std::snprintf(name, sizeof name, "host%06zu", host);
    hb.host = name;
    hb.incarnation = 0x5eed0000u + host;
    hb.sequence = sequence;
    hb.send_time_ms = send_time_ms;
    hb.interval_ms = interval_ms;
    for (std::size_t m = 0; m < metrics; ++m) {
        std::string metric = kNames[m % std::size(kNames)];
        if (m >= std::size(kNames)) metric += "." + std::to_string(m / std::size(kNames));
        hb.metrics.push_back({metric, static_cast<double>(host % 100) + 0.25 * m});
    }
    return hb;
}

PatchOffsets find_offsets(std::size_t metrics) {
    const auto encode = [&](std::uint64_t seq, std::int64_t t) {
        const auto dgrams = beat::pack_beat(make_beat(0, metrics, 1000, seq, t));
        if (dgrams.size() != 1) throw std::runtime_error("a beat does not fit one datagram");
        return dgrams.front();
    };
    const std::string base = encode(0x0101010101010101, 0x0101010101010101);
    PatchOffsets off;
    off.sequence = differing_field(base, encode(0x0202020202020202, 0x0101010101010101));
    off.send_time = differing_field(base, encode(0x0101010101010101, 0x0202020202020202));
    return off;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Sends heartbeat datagrams from N simulated hosts to 127.0.0.1:PORT."};
    std::uint16_t port = 0;
    std::size_t hosts = 10'000, metrics = 8;
    double rate = 0, duration = 3;
    std::uint64_t count = 0;
    std::uint32_t interval_ms = 1000;
    std::uint64_t first_sequence = 1;
    app.add_option("--port", port, "UDP port on 127.0.0.1")
        ->required()
        ->check(CLI::Range(1, 65535));
    app.add_option("--hosts", hosts, "distinct hosts, one datagram each per round")
        ->check(CLI::Range(1, 1'000'000));
    app.add_option("--metrics", metrics, "metrics per beat")->check(CLI::Range(0, 60));
    app.add_option("--rate", rate, "datagrams per second; 0 sends as fast as possible")
        ->check(CLI::Range(0.0, 1e8));
    app.add_option("--duration", duration, "seconds to send for")->check(CLI::Range(0.01, 120.0));
    app.add_option("--interval-ms", interval_ms, "beat interval each host advertises")
        ->check(CLI::Range(beat::kMinIntervalMs, beat::kMaxIntervalMs));
    app.add_option("--count", count, "stop after this many datagrams (0: no limit)");
    app.add_option("--first-sequence", first_sequence,
                   "sequence number of the first round, to continue where an earlier run stopped")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 62));
    CLI11_PARSE(app, argc, argv);

    try {
        const PatchOffsets off = find_offsets(metrics);
        std::vector<std::string> dgrams;
        dgrams.reserve(hosts);
        for (std::size_t h = 0; h < hosts; ++h) {
            auto packed = beat::pack_beat(make_beat(h, metrics, interval_ms, 0, 0));
            if (packed.size() != 1) throw std::runtime_error("a beat does not fit one datagram");
            dgrams.push_back(std::move(packed.front()));
        }
        // Patching must yield a datagram the decoder accepts with the new values.
        put_be64(dgrams[0].data() + off.sequence, 42);
        put_be64(dgrams[0].data() + off.send_time, 4242);
        beat::HeartbeatView view;
        if (beat::decode_heartbeat(dgrams[0], view) != beat::DecodeError::ok ||
            view.sequence != 42 || view.send_time_ms != 4242 || view.metric_count != metrics) {
            throw std::logic_error("a patched datagram does not decode as expected");
        }

        const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
        const int sndbuf = 4 << 20;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
            throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
        }
        prctl(PR_SET_TIMERSLACK, 1UL);  // Pacing sleeps are tens of microseconds.

        std::vector<mmsghdr> msgs(kBatch);
        std::vector<iovec> iovs(kBatch);
        const std::int64_t start = now_ns();
        const std::int64_t end = start + static_cast<std::int64_t>(duration * 1e9);
        const std::uint64_t limit = count ? count : UINT64_MAX;
        std::uint64_t sent = 0, refused = 0;
        std::size_t next_host = 0;
        std::uint64_t round = first_sequence;
        std::int64_t now = start;
        while (sent < limit && now < end) {
            if (rate > 0) {
                const auto due = start + static_cast<std::int64_t>(sent * 1e9 / rate);
                if (due > now) beat::bench::sleep_until_ns(std::min(due, end));
            }
            const std::int64_t send_ms = beat::bench::wall_ms();
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kBatch, limit - sent));
            for (std::size_t i = 0; i < n; ++i) {
                std::string& d = dgrams[next_host];
                put_be64(d.data() + off.sequence, round);
                put_be64(d.data() + off.send_time, static_cast<std::uint64_t>(send_ms));
                iovs[i] = {d.data(), d.size()};
                msgs[i] = {};
                msgs[i].msg_hdr.msg_iov = &iovs[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
                if (++next_host == hosts) {
                    next_host = 0;
                    ++round;
                }
            }
            std::size_t done = 0;
            while (done < n) {
                const int r = sendmmsg(fd, msgs.data() + done, static_cast<unsigned>(n - done), 0);
                if (r > 0) {
                    done += static_cast<std::size_t>(r);
                } else if (errno == ECONNREFUSED) {
                    // An earlier datagram found no listener; this batch still goes out.
                    if (++refused > 1000) throw std::runtime_error("nothing listens on the port");
                } else if (errno != EINTR && errno != EAGAIN && errno != ENOBUFS) {
                    throw std::runtime_error(std::string("sendmmsg: ") + std::strerror(errno));
                }
            }
            sent += n;
            now = now_ns();
        }
        const double seconds = static_cast<double>(now - start) / 1e9;
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        const double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
        std::printf("sent=%llu seconds=%.3f rate=%.0f cpu_s=%.2f wait_s=%.3f\n",
                    static_cast<unsigned long long>(sent), seconds,
                    static_cast<double>(sent) / seconds, cpu, beat::bench::runqueue_wait_seconds());
        close(fd);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "udp_load: %s\n", e.what());
        return 1;
    }
    return 0;
}
