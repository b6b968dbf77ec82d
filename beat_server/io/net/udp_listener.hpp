// The UDP heartbeat listener: reads datagrams in batches (recvmmsg) and hands each to the monitor,
// and sends the monitor's acknowledgements and probes from the same socket, so that they leave
// from the port the beats came to.
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "beat_server/core/ingest/datagram_out.hpp"
#include "beat_server/core/ingest/monitor.hpp"
#include "common/endpoint.hpp"
#include "common/uv/handle.hpp"

namespace beat {

class UdpListener final : public DatagramOut {
  public:
    // Binds `at` and starts reading. `after_batch` runs after each batch of datagrams (to re-arm
    // the detector's timer). Throws UvError when the socket cannot be set up (e.g. port in use),
    // with the socket closed. Destroying the listener closes the socket too.
    UdpListener(uv_loop_t* loop, const Endpoint& at, std::size_t rcvbuf_bytes, Monitor& monitor,
                std::function<void()> after_batch);
    UdpListener(const UdpListener&) = delete;
    UdpListener& operator=(const UdpListener&) = delete;

    // The address actually bound ("127.0.0.1:43278"), with the real port when 0 was asked for.
    const std::string& bound() const noexcept { return bound_; }
    // The receive buffer size the kernel granted.
    std::size_t rcvbuf_bytes() const noexcept { return rcvbuf_; }

    // Sends `bytes` to `to` from the listening socket at once (uv_udp_try_send), or drops it:
    // a full socket buffer, a closed socket or any other error counts in sends_failed().
    void send(std::string_view bytes, const SourceAddress& to) noexcept override;
    // Datagrams that send() could not send.
    std::uint64_t sends_failed() const noexcept { return sends_failed_; }
    // Whether a datagram waits unread in the socket's receive queue (FIONREAD, which on Linux
    // gives the size of the first one waiting); false once closed.
    bool datagrams_pending() const noexcept;

    // Stops reading and closes the socket. Safe to call twice.
    void close() noexcept;

  private:
    static void on_alloc(uv_handle_t* h, std::size_t suggested, uv_buf_t* buf) noexcept;
    static void on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr,
                        unsigned flags) noexcept;

    UvHandle<uv_udp_t> handle_;
    Monitor& monitor_;
    std::function<void()> after_batch_;
    std::unique_ptr<char[]> buffer_;
    std::string bound_;
    std::size_t rcvbuf_ = 0;
    std::uint64_t sends_failed_ = 0;
};

}  // namespace beat
