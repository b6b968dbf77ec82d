// udp_sink: the baseline receiver for the UDP benchmark. A plain recvmmsg loop on 127.0.0.1 with
// the same 32 MiB receive buffer that beat_server asks for; it counts datagrams and, with
// --decode, also runs the heartbeat decoder on each one.
//
// Logs, on stderr, in the shape beat_server uses so that one script drives both:
//   "listening udp=127.0.0.1:PORT" once bound, and on SIGTERM or SIGINT
//   "stopped datagrams=N accepted=N rejected=N bytes=N".

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

#include "common/wire.hpp"

namespace {

constexpr unsigned kBatch = 64;           // Datagrams per recvmmsg call.
constexpr std::size_t kSlot = 2048;       // Bytes per datagram slot; datagrams are <= 1400.
constexpr int kReceiveBuffer = 32 << 20;  // Matches beat_server's SO_RCVBUF request.

volatile std::sig_atomic_t g_stop = 0;

extern "C" void on_signal(int) {
    g_stop = 1;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Counts datagrams received on 127.0.0.1:PORT until SIGTERM."};
    std::uint16_t port = 0;
    bool decode = false;
    app.add_option("--port", port, "UDP port on 127.0.0.1; 0 picks a free one");
    app.add_flag("--decode", decode, "decode every datagram and count valid and invalid ones");
    CLI11_PARSE(app, argc, argv);

    // No SA_RESTART: a signal interrupts recvmmsg, and the receive timeout covers the window
    // between checking the flag and blocking.
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGINT, &sa, nullptr);

    const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        std::perror("udp_sink: socket");
        return 1;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kReceiveBuffer, sizeof kReceiveBuffer) != 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kReceiveBuffer, sizeof kReceiveBuffer);
    }
    const timeval timeout{0, 100'000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        std::perror("udp_sink: bind");
        return 1;
    }
    std::fprintf(stderr, "udp_sink listening udp=127.0.0.1:%u\n", ntohs(addr.sin_port));

    std::vector<char> slots(kBatch * kSlot);
    std::vector<iovec> iovs(kBatch);
    std::vector<mmsghdr> msgs(kBatch);
    for (unsigned i = 0; i < kBatch; ++i) {
        iovs[i] = {slots.data() + i * kSlot, kSlot};
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    std::uint64_t datagrams = 0, accepted = 0, rejected = 0, bytes = 0;
    while (!g_stop) {
        const int n = recvmmsg(fd, msgs.data(), kBatch, MSG_WAITFORONE, nullptr);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            std::perror("udp_sink: recvmmsg");
            return 1;
        }
        datagrams += static_cast<unsigned>(n);
        for (int i = 0; i < n; ++i) {
            bytes += msgs[i].msg_len;
            if (!decode) continue;
            beat::HeartbeatView view;
            const std::string_view d(slots.data() + i * kSlot, msgs[i].msg_len);
            if (beat::decode_heartbeat(d, view) == beat::DecodeError::ok) {
                ++accepted;
            } else {
                ++rejected;
            }
        }
    }
    if (!decode) accepted = datagrams;
    std::fprintf(stderr, "udp_sink stopped datagrams=%llu accepted=%llu rejected=%llu bytes=%llu\n",
                 static_cast<unsigned long long>(datagrams),
                 static_cast<unsigned long long>(accepted),
                 static_cast<unsigned long long>(rejected), static_cast<unsigned long long>(bytes));
    close(fd);
    return 0;
}
