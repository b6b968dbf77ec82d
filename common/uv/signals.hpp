// SIGINT/SIGTERM (and optionally SIGHUP) on a libuv loop.
#pragma once

#include <uv.h>

#include <functional>

namespace beat {

// Watches SIGINT and SIGTERM and calls `on_stop` (once per signal) on the loop thread; watches
// SIGHUP too when `on_hup` is given. The handles are unreferenced, so they never keep the loop
// alive. close() (or the destructor) closes them; they free themselves once libuv is done.
class Signals {
  public:
    Signals(uv_loop_t* loop, std::function<void(int signum)> on_stop,
            std::function<void()> on_hup = {});
    Signals(const Signals&) = delete;
    Signals& operator=(const Signals&) = delete;
    ~Signals();

    void close() noexcept;

  private:
    static void on_signal(uv_signal_t* h, int signum) noexcept;

    uv_signal_t* int_ = nullptr;
    uv_signal_t* term_ = nullptr;
    uv_signal_t* hup_ = nullptr;
    std::function<void(int)> on_stop_;
    std::function<void()> on_hup_;
};

}  // namespace beat
