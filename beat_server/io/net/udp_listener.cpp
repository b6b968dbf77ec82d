#include "beat_server/io/net/udp_listener.hpp"

#include <sys/ioctl.h>
#include <sys/socket.h>

#include "common/log.hpp"
#include "common/uv/handle.hpp"
#include "common/uv/resolve.hpp"
#include "common/uv/unix_clock.hpp"
#include "common/uv/uv_error.hpp"

namespace beat {
namespace {

// libuv splits the read buffer into 64 KiB slots, one per datagram, and reads up to 20 datagrams
// per recvmmsg call.
constexpr std::size_t kSlot = 64 * 1024;
constexpr std::size_t kSlots = 20;

std::int64_t now_ms(uv_loop_t* loop) {
    return static_cast<std::int64_t>(uv_now(loop));
}

}  // namespace

UdpListener::UdpListener(uv_loop_t* loop, const Endpoint& at, std::size_t rcvbuf_bytes,
                         Monitor& monitor, std::function<void()> after_batch)
    : monitor_(monitor), after_batch_(std::move(after_batch)), buffer_(new char[kSlot * kSlots]) {
    const sockaddr_storage addr = resolve_for_bind(loop, at);
    // From here on a throw leaves handle_ to close the socket.
    handle_ = UvHandle<uv_udp_t>(uv_udp_init_ex, loop, "udp init",
                                 static_cast<unsigned>(addr.ss_family | UV_UDP_RECVMMSG));
    handle_->data = this;
    const int rc = uv_udp_bind(handle_.get(), reinterpret_cast<const sockaddr*>(&addr), 0);
    if (rc < 0) throw UvError("cannot bind UDP " + to_string(at) + ": " + uv_message(rc));
    // A generous receive buffer absorbs bursts (thousands of agents beating at once). Root may
    // exceed net.core.rmem_max with SO_RCVBUFFORCE; otherwise the kernel caps SO_RCVBUF.
    uv_os_fd_t fd;
    uv_fileno(handle_.base(), &fd);
    int want = static_cast<int>(rcvbuf_bytes);
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof want) != 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
    }
    int got = 0;
    socklen_t len = sizeof got;
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len);
    rcvbuf_ = static_cast<std::size_t>(got);

    sockaddr_storage bound{};
    int namelen = sizeof bound;
    uv_udp_getsockname(handle_.get(), reinterpret_cast<sockaddr*>(&bound), &namelen);
    bound_ = sockaddr_to_string(reinterpret_cast<const sockaddr*>(&bound));
    uv_check(uv_udp_recv_start(handle_.get(), &UdpListener::on_alloc, &UdpListener::on_recv),
             "udp recv start");
}

void UdpListener::send(std::string_view bytes, const SourceAddress& to) noexcept {
    if (!handle_) {
        ++sends_failed_;
        return;
    }
    // libuv does not write through the buffer; its type is not const only for reads.
    const uv_buf_t buf =
        uv_buf_init(const_cast<char*>(bytes.data()), static_cast<unsigned>(bytes.size()));
    if (uv_udp_try_send(handle_.get(), &buf, 1, to.raw()) < 0) ++sends_failed_;
}

bool UdpListener::datagrams_pending() const noexcept {
    if (!handle_) return false;
    uv_os_fd_t fd;
    if (uv_fileno(handle_.base(), &fd) != 0) return false;
    int first = 0;
    return ioctl(fd, FIONREAD, &first) == 0 && first > 0;
}

void UdpListener::close() noexcept {
    if (!handle_) return;
    uv_udp_recv_stop(handle_.get());
    handle_.close();
}

void UdpListener::on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) noexcept {
    auto* self = static_cast<UdpListener*>(h->data);
    // The one buffer is reused for every batch: datagrams are fully handled inside on_recv.
    *buf = uv_buf_init(self->buffer_.get(), static_cast<unsigned>(kSlot * kSlots));
}

void UdpListener::on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr,
                          unsigned flags) noexcept {
    auto* self = static_cast<UdpListener*>(h->data);
    try {
        if (nread > 0 && addr != nullptr) {
            self->monitor_.on_datagram(std::string_view(buf->base, static_cast<std::size_t>(nread)),
                                       SourceAddress(addr), now_ms(h->loop), unix_now_ms());
        } else if (nread < 0) {
            log_warn("udp receive error: {}", uv_message(static_cast<int>(nread)));
        }
        // Within a recvmmsg batch each datagram comes flagged UV_UDP_MMSG_CHUNK; the batch ends
        // with a call without it.
        if ((flags & UV_UDP_MMSG_CHUNK) == 0 && self->after_batch_) self->after_batch_();
    } catch (const std::exception& e) {
        log_error("udp datagram handling failed: {}", e.what());
    }
}

}  // namespace beat
