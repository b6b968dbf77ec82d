#include "common/uv/systemd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "common/log.hpp"
#include "common/parse_number.hpp"
#include "common/uv/handle.hpp"
#include "common/uv/uv_error.hpp"

namespace beat {
namespace {

// Reads an unsigned decimal environment variable; false when unset or malformed.
bool env_u64(const char* name, std::uint64_t& out) {
    const char* v = std::getenv(name);
    if (v == nullptr) return false;
    const auto n = parse_u64(v);
    if (!n) return false;
    out = *n;
    return true;
}

}  // namespace

SystemdNotifier::SystemdNotifier(uv_loop_t* loop) {
    // The notification protocol (sd_notify(3), "stable" in systemd's interface portability
    // promise): one datagram of "KEY=VALUE" lines to the AF_UNIX socket named by NOTIFY_SOCKET, a
    // leading '@' meaning the abstract namespace. It is spoken here directly because linking
    // libsystemd maps seven shared libraries, about 0.9 MiB of resident memory in every agent.
    const char* path = std::getenv("NOTIFY_SOCKET");
    if (path == nullptr || *path == '\0') return;
    const std::size_t len = std::strlen(path);
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof(addr_.sun_path)) {
        log_warn("systemd: NOTIFY_SOCKET '{}' is not a socket path; sending no notifications",
                 path);
        return;
    }
    addr_.sun_family = AF_UNIX;
    std::memcpy(addr_.sun_path, path, len);
    if (path[0] == '@') addr_.sun_path[0] = '\0';
    addr_len_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) {
        log_warn("systemd: cannot open a notification socket: {}", std::strerror(errno));
        return;
    }
    enabled_ = true;

    // Watchdog pings are wanted when WATCHDOG_USEC is set and WATCHDOG_PID, if set, is this
    // process.
    std::uint64_t usec = 0, pid = 0;
    if (!env_u64("WATCHDOG_USEC", usec) || usec == 0) return;
    if (std::getenv("WATCHDOG_PID") != nullptr &&
        (!env_u64("WATCHDOG_PID", pid) || pid != static_cast<std::uint64_t>(::getpid()))) {
        return;
    }
    // Half the period leaves one full half for a ping delayed by a busy loop.
    period_ms_ = usec / 2000 > 0 ? usec / 2000 : 1;
    watchdog_ = init_handle<uv_timer_t>(uv_timer_init, loop, "uv_timer_init");
    watchdog_->data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(watchdog_));
    if (const int start =
            uv_timer_start(watchdog_, &SystemdNotifier::on_watchdog, period_ms_, period_ms_);
        start < 0) {
        close();
        uv_check(start, "uv_timer_start");
    }
}

SystemdNotifier::~SystemdNotifier() {
    close();
    close_socket();
}

void SystemdNotifier::ready(std::string_view status) noexcept {
    if (status.empty()) {
        notify("READY=1");
        return;
    }
    try {
        std::string message = "READY=1\nSTATUS=";
        message += status;
        notify(message.c_str());
    } catch (const std::bad_alloc&) {
        notify("READY=1");
    }
}

void SystemdNotifier::stopping() noexcept {
    notify("STOPPING=1");
}

void SystemdNotifier::close() noexcept {
    close_handle(watchdog_);
}

void SystemdNotifier::close_socket() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    enabled_ = false;
}

void SystemdNotifier::on_watchdog(uv_timer_t* t) noexcept {
    static_cast<SystemdNotifier*>(t->data)->notify("WATCHDOG=1");
}

void SystemdNotifier::notify(const char* message) noexcept {
    if (!enabled_) return;
    const ssize_t n = ::sendto(fd_, message, std::strlen(message), MSG_NOSIGNAL,
                               reinterpret_cast<const sockaddr*>(&addr_), addr_len_);
    if (n >= 0 || failed_) return;
    const int err = errno;
    failed_ = true;
    const std::string_view first(message, std::strcspn(message, "\n"));
    log_warn("systemd notification {} failed: {} (later failures are not logged)", first,
             std::strerror(err));
}

}  // namespace beat
