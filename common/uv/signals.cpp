#include "common/uv/signals.hpp"

#include "common/uv/handle.hpp"

namespace beat {

Signals::Signals(uv_loop_t* loop, std::function<void(int)> on_stop, std::function<void()> on_hup)
    : on_stop_(std::move(on_stop)), on_hup_(std::move(on_hup)) {
    auto watch = [&](uv_signal_t*& h, int sig) {
        h = init_handle<uv_signal_t>(uv_signal_init, loop, "uv_signal_init");
        h->data = this;
        uv_unref(reinterpret_cast<uv_handle_t*>(h));
        if (const int rc = uv_signal_start(h, &Signals::on_signal, sig); rc < 0) {
            close();
            uv_check(rc, "uv_signal_start");
        }
    };
    watch(int_, SIGINT);
    watch(term_, SIGTERM);
    if (on_hup_) watch(hup_, SIGHUP);
}

Signals::~Signals() {
    close();
}

void Signals::close() noexcept {
    close_handle(int_);
    close_handle(term_);
    close_handle(hup_);
}

void Signals::on_signal(uv_signal_t* h, int signum) noexcept {
    auto* self = static_cast<Signals*>(h->data);
    try {
        if (signum == SIGHUP) {
            if (self->on_hup_) self->on_hup_();
        } else if (self->on_stop_) {
            self->on_stop_(signum);
        }
    } catch (...) {
    }
}

}  // namespace beat
