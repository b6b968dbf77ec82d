#include "common/uv/systemd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "common/log.hpp"
#include "common/uv/handle.hpp"
#include "common/uv/uv_error.hpp"

namespace beat {

SystemdNotifier::SystemdNotifier(uv_loop_t* loop) {
    const char* socket = std::getenv("NOTIFY_SOCKET");
    enabled_ = socket != nullptr && *socket != '\0';
    if (!enabled_) return;

    std::uint64_t usec = 0;
    const int rc = sd_watchdog_enabled(0, &usec);
    if (rc < 0) {
        log_warn("systemd watchdog: WATCHDOG_USEC cannot be read ({}); sending no pings",
                 std::strerror(-rc));
        return;
    }
    if (rc == 0) return;
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

void SystemdNotifier::status(std::string_view text) noexcept {
    try {
        std::string message = "STATUS=";
        message += text;
        notify(message.c_str());
    } catch (const std::bad_alloc&) {
    }
}

void SystemdNotifier::stopping() noexcept {
    notify("STOPPING=1");
}

void SystemdNotifier::close() noexcept {
    close_handle(watchdog_);
}

void SystemdNotifier::on_watchdog(uv_timer_t* t) noexcept {
    static_cast<SystemdNotifier*>(t->data)->notify("WATCHDOG=1");
}

void SystemdNotifier::notify(const char* message) noexcept {
    if (!enabled_) return;
    const int rc = sd_notify(0, message);
    if (rc >= 0 || failed_) return;
    failed_ = true;
    const std::string_view first(message, std::strcspn(message, "\n"));
    log_warn("systemd notification {} failed: {} (later failures are not logged)", first,
             std::strerror(-rc));
}

}  // namespace beat
