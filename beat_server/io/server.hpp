// beat_server wired together: one libuv loop running the UDP listener (which also carries the
// acknowledgements and probes to the agents), the TCP side-port, the failure detector's timer and
// the watchdog of the loop's own stalls, the periodic report, the retention sweep and the
// storage.
#pragma once

#include <uv.h>

#include <memory>
#include <optional>

#include "beat_server/core/config/server_config.hpp"
#include "beat_server/core/ingest/monitor.hpp"
#include "beat_server/core/pages/server_status.hpp"
#include "beat_server/core/query/executor.hpp"
#include "beat_server/core/query/frame_ingest.hpp"
#include "beat_server/core/report/event_tee.hpp"
#include "beat_server/core/report/log_reporter.hpp"
#include "beat_server/core/store/store.hpp"
#include "beat_server/io/net/binary_server.hpp"
#include "beat_server/io/net/http_server.hpp"
#include "beat_server/io/net/tcp_server.hpp"
#include "beat_server/io/net/udp_listener.hpp"
#include "beat_server/io/postgres/postgres_sink.hpp"
#include "beat_server/io/storage/storage.hpp"
#include "common/key_ring.hpp"
#include "common/uv/handle.hpp"
#include "common/uv/signals.hpp"
#include "common/uv/systemd_notify.hpp"

namespace beat {

class Server {
  public:
    // Reads the key file (throws KeyFileError when it cannot be used) and the plans file (throws
    // ConfigError naming the file and the line when it cannot be used), opens the storage and loads
    // it (throws StorageError when the database cannot be used), binds the listeners on `loop`
    // (throws UvError when one cannot be bound) and logs the bound addresses as
    // "listening udp=ADDR:PORT tcp=ADDR:PORT http=ADDR:PORT" (http=off without one). When it
    // throws, every handle it opened is closed: running `loop` then frees them.
    Server(uv_loop_t* loop, const ServerConfig& config);
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Starts an orderly shutdown: stop listening, let queued replies drain (at most
    // kShutdownGraceMs), commit every pending batch, close the database and every handle. The
    // loop then runs out.
    void stop();
    // SIGHUP: reads the key file and the plans file again, as reload_keys() and reload_plans()
    // say.
    void reload() noexcept;

    // With the storage's last commits (at most 1.2 s of retries when the disk fails) the whole
    // shutdown stays under 5 seconds.
    static constexpr std::uint64_t kShutdownGraceMs = 3000;
    // Keys visited per retention sweep, one sweep a second: 1,000,000 keys in 10 s.
    static constexpr std::size_t kSweepKeys = 100'000;
    static constexpr std::uint64_t kSweepIntervalMs = 1000;
    // A timer that fires this late means the loop itself stalled: its beats may be waiting unread,
    // so the monitor holds its verdicts (Monitor::server_stalled).
    static constexpr std::uint64_t kStallMs = 250;
    // The watchdog's period, so that a stall is noticed even when no detector deadline is armed.
    static constexpr std::uint64_t kWatchdogMs = 100;
    // How long judging may wait at most for the datagrams already queued on the UDP socket.
    static constexpr std::uint64_t kMaxDrainMs = 100;

    // What the server decided and where it listens, for the tests that look at them.
    const Monitor& monitor() const noexcept { return monitor_; }
    const UdpListener& udp() const noexcept { return udp_; }

  private:
    static void on_detector_timer(uv_timer_t* t) noexcept;
    static void on_watchdog_timer(uv_timer_t* t) noexcept;
    static void on_drain_check(uv_check_t* c) noexcept;
    static void on_report_timer(uv_timer_t* t) noexcept;
    static void on_grace_timer(uv_timer_t* t) noexcept;
    static void on_retention_timer(uv_timer_t* t) noexcept;
    // Samples the hosts up and silent into fleet_, every kFleetSampleIntervalMs.
    static void on_fleet_timer(uv_timer_t* t) noexcept;
    void arm_detector() noexcept;
    // Runs the detector at loop time `now` and re-arms its timer.
    void judge(std::uint64_t now) noexcept;
    // A timer due at `due` fired at `now`: reports a stall when it ran kStallMs late or more,
    // counting only the part of the lateness after the stall reported last.
    void note_lateness(std::uint64_t now, std::uint64_t due) noexcept;
    void finish() noexcept;
    void close_timers() noexcept;
    void log_totals() const;
    // Reads the key file again: new and changed keys apply to the next datagram. A file that
    // cannot be used is logged and the keys in use are kept.
    void reload_keys() noexcept;
    // Reads the plans file again: each host is sent its plan from its next beat. A file that
    // cannot be used is logged and the plans in force are kept.
    void reload_plans() noexcept;
    // Puts `plans`, read from the plans file, in force, and logs what changed (`reload`: on
    // SIGHUP) and the file's warnings.
    void use_plans(std::shared_ptr<const PlanBook> plans, bool reload);
    // The state an HTTP request reads, now.
    StatusView status_view() const;

    uv_loop_t* loop_;
    ServerConfig config_;
    KeyRing keys_;  // Empty without --key-file.
    Store store_{config_.limits};
    Executor executor_{store_};
    FrameIngest frame_ingest_{store_};  // The --binary port's frames.
    LogReporter reporter_;
    EventTee events_{reporter_};  // The reporter, and the PostgreSQL sink with --postgres.
    Monitor monitor_;
    // Bound before everything else it feeds and is fed by, and closed by stop(); the monitor sends
    // through it.
    UdpListener udp_;
    std::uint64_t armed_for_ = 0;     // The deadline the detector timer is set for; 0 when idle.
    std::uint64_t detector_due_ = 0;  // When the detector timer is due (loop time).
    std::uint64_t watchdog_due_ = 0;
    std::uint64_t stall_reported_to_ = 0;  // The loop time up to which stalls were reported.
    // While the detector waits for the UDP socket's queue to be read: since when.
    std::optional<std::uint64_t> draining_since_;
    std::uint64_t key_limit_logged_ = 0;  // Refusals counted when last logged.
    std::int64_t key_limit_log_ms_ = -60'000;
    std::optional<std::int64_t> plans_loaded_unix_ms_;  // When the plans in force were read.
    FleetHistory fleet_;  // The status page's fleet strip: not kept across restarts.
    // In the order the constructor opens them, each closing what it holds when destroyed: a
    // constructor that throws half-way, like leaving the loop before stop() has finished, closes
    // everything opened so far, the last opened first. Normally finish() has closed them.
    UvHandle<uv_timer_t> detector_timer_;
    UvHandle<uv_timer_t> report_timer_;
    UvHandle<uv_timer_t> grace_timer_;
    UvHandle<uv_timer_t> retention_timer_;
    UvHandle<uv_timer_t> watchdog_timer_;
    UvHandle<uv_timer_t> fleet_timer_;
    UvHandle<uv_check_t> drain_check_;
    std::unique_ptr<Storage> storage_;        // Null when memory only.
    std::unique_ptr<PostgresSink> postgres_;  // Null without --postgres.
    std::unique_ptr<TcpServer> tcp_;
    std::unique_ptr<BinaryServer> binary_;  // Null without --binary.
    std::unique_ptr<HttpServer> http_;      // Null with --http off.
    std::unique_ptr<Signals> signals_;
    std::unique_ptr<SystemdNotifier> notifier_;  // READY=1, STOPPING=1, watchdog pings.
    bool stopping_ = false;
    bool finished_ = false;
};

}  // namespace beat
