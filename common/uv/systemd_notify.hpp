// Service state for systemd (Type=notify): READY=1 with STATUS=, STOPPING=1 and watchdog pings,
// sent as sd_notify(3) sends them. Outside systemd (NOTIFY_SOCKET unset) every call does nothing.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <uv.h>

#include <cstdint>
#include <string_view>

namespace beat {

class SystemdNotifier {
  public:
    // When systemd asks for watchdog pings (WATCHDOG_USEC, for this process), sends WATCHDOG=1
    // every half period from a timer on `loop`, so that a loop that stops turning stops the pings
    // and systemd restarts the service. The timer is unreferenced: it never keeps the loop alive.
    // Throws UvError when libuv refuses the timer.
    explicit SystemdNotifier(uv_loop_t* loop);
    SystemdNotifier(const SystemdNotifier&) = delete;
    SystemdNotifier& operator=(const SystemdNotifier&) = delete;
    ~SystemdNotifier();

    // Tells systemd the service is up (READY=1), with an optional one-line status to show in
    // `systemctl status`.
    void ready(std::string_view status = {}) noexcept;

    // Tells systemd the service is shutting down (STOPPING=1). Watchdog pings go on until close(),
    // so that an orderly shutdown that keeps the loop turning is not taken for a hang.
    void stopping() noexcept;

    // Stops the watchdog pings and closes the timer; the loop must run afterwards to free it.
    void close() noexcept;

    // The watchdog ping period in milliseconds, 0 when systemd asked for none.
    std::uint64_t watchdog_period_ms() const noexcept { return period_ms_; }

  private:
    static void on_watchdog(uv_timer_t* t) noexcept;
    void notify(const char* message) noexcept;
    void close_socket() noexcept;

    bool enabled_ = false;  // NOTIFY_SOCKET names a socket and fd_ is open.
    int fd_ = -1;
    sockaddr_un addr_{};
    socklen_t addr_len_ = 0;
    bool failed_ = false;  // A notification failed and was logged; later failures are not.
    std::uint64_t period_ms_ = 0;
    uv_timer_t* watchdog_ = nullptr;  // From init_handle(), freed in its close callback.
};

}  // namespace beat
