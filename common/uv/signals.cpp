#include "common/uv/signals.hpp"

#include "common/uv/uv_error.hpp"

namespace beat {

Signals::Signals(uv_loop_t* loop, std::function<void(int)> on_stop, std::function<void()> on_hup)
    : on_stop_(std::move(on_stop)), on_hup_(std::move(on_hup)) {
    for (auto [h, sig] : {std::pair{&int_, SIGINT}, std::pair{&term_, SIGTERM}}) {
        uv_check(uv_signal_init(loop, h), "uv_signal_init");
        h->data = this;
        uv_check(uv_signal_start(h, &Signals::on_signal, sig), "uv_signal_start");
        uv_unref(reinterpret_cast<uv_handle_t*>(h));
    }
    if (on_hup_) {
        uv_check(uv_signal_init(loop, &hup_), "uv_signal_init");
        hup_.data = this;
        hup_active_ = true;
        uv_check(uv_signal_start(&hup_, &Signals::on_signal, SIGHUP), "uv_signal_start");
        uv_unref(reinterpret_cast<uv_handle_t*>(&hup_));
    }
}

Signals::~Signals() {
    close();
}

void Signals::close() noexcept {
    if (closed_) return;
    closed_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&int_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&term_), nullptr);
    if (hup_active_) uv_close(reinterpret_cast<uv_handle_t*>(&hup_), nullptr);
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
