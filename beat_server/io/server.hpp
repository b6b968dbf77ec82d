// beat_server wired together: one libuv loop running the UDP listener, the TCP side-port, the
// failure detector's timer and the periodic report.
#pragma once

#include <uv.h>

#include <memory>

#include "beat_server/core/executor.hpp"
#include "beat_server/core/log_reporter.hpp"
#include "beat_server/core/monitor.hpp"
#include "beat_server/core/server_config.hpp"
#include "beat_server/core/store.hpp"
#include "beat_server/io/tcp_server.hpp"
#include "beat_server/io/udp_listener.hpp"
#include "common/uv/signals.hpp"

namespace beat {

class Server {
  public:
    // Binds both listeners on `loop` (throws UvError when one cannot be bound) and logs the bound
    // addresses as "listening udp=ADDR:PORT tcp=ADDR:PORT".
    Server(uv_loop_t* loop, const ServerConfig& config);
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;
    ~Server();

    // Starts an orderly shutdown: stop listening, let queued replies drain (at most
    // kShutdownGraceMs), close every handle. The loop then runs out.
    void stop();

    static constexpr std::uint64_t kShutdownGraceMs = 3000;

  private:
    static void on_detector_timer(uv_timer_t* t) noexcept;
    static void on_report_timer(uv_timer_t* t) noexcept;
    static void on_grace_timer(uv_timer_t* t) noexcept;
    void arm_detector() noexcept;
    void finish() noexcept;
    void close_timers() noexcept;
    void log_totals() const;

    uv_loop_t* loop_;
    ServerConfig config_;
    Store store_;
    Executor executor_{store_};
    LogReporter reporter_;
    Monitor monitor_;
    uv_timer_t* detector_timer_ = nullptr;
    std::uint64_t armed_for_ = 0;  // The deadline the detector timer is set for; 0 when idle.
    uv_timer_t* report_timer_ = nullptr;
    uv_timer_t* grace_timer_ = nullptr;
    std::unique_ptr<UdpListener> udp_;
    std::unique_ptr<TcpServer> tcp_;
    std::unique_ptr<Signals> signals_;
    bool stopping_ = false;
    bool finished_ = false;
};

}  // namespace beat
