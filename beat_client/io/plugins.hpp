// The node's plugins (README "Plugins"): each run is a child process started with the plugin's
// argv (no shell), whose stdout is read into a bounded buffer and whose metrics go into the next
// beat. Beats never wait for a plugin: a run goes on beside the beats, is killed with its whole
// process group at its timeout, and a plugin still running when due again skips that run.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "beat_client/core/metric_writer.hpp"
#include "beat_client/core/plugin_config.hpp"

namespace beat {

class Plugins {
  public:
    // Owns `plugins` (names distinct and valid, commands with an absolute path first, as the
    // config checks them); none is scheduled until set_schedule(). No handle is opened before a
    // run starts, and with no plugin nothing is allocated at all.
    Plugins(uv_loop_t* loop, std::vector<PluginConfig> plugins);
    Plugins(const Plugins&) = delete;
    Plugins& operator=(const Plugins&) = delete;
    ~Plugins();  // close()

    // Replaces the schedule from the next beat on: each listed plugin (every name must be
    // configured; the caller filters) runs when beat_index % every == 0; one not listed no
    // longer runs (a run in progress finishes and its values are still sent).
    void set_schedule(std::vector<PluginEvery> schedule);

    // At beat number `beat_index` (0 for the first): appends to `w` the metrics of the runs
    // finished since the previous call, then starts the plugins due. Never blocks, never throws.
    void on_beat(std::uint64_t beat_index, MetricWriter& w) noexcept;

    // Appends to `w` the metrics of the runs finished since the previous call (or on_beat()),
    // starting none.
    void collect(MetricWriter& w) noexcept;

    // Kills the process group of every run in progress and closes every handle; the loop frees
    // them on its next turn. Nothing runs afterwards. Idempotent.
    void close() noexcept;

    // True when no handle is open (no run in progress): the loop can end.
    bool idle() const noexcept;

    // Counted over every plugin since the start.
    struct Counts {
        std::uint64_t runs = 0;      // Runs finished (or that could not start).
        std::uint64_t failures = 0;  // Of those, the ones that failed (README "Plugins").
        std::uint64_t skipped = 0;   // Runs not started because the previous one still ran.
    };
    Counts counts() const noexcept;

  private:
    struct Plugin;

    static void on_alloc(uv_handle_t* h, std::size_t suggested, uv_buf_t* buf) noexcept;
    static void on_stdout(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept;
    static void on_stderr(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept;
    static void on_exit(uv_process_t* h, std::int64_t status, int term_signal) noexcept;
    static void on_timeout(uv_timer_t* t) noexcept;

    void start(Plugin& p) noexcept;
    // Ends the run of `p` once its process has exited and its stdout is closed.
    void finish_if_done(Plugin& p) noexcept;
    void finish(Plugin& p) noexcept;
    // Logs the end of a run of `p`: the first failure of a streak at warn, the first success
    // after one at info.
    void report(Plugin& p, const std::string& problem) noexcept;

    uv_loop_t* loop_;
    std::vector<std::unique_ptr<Plugin>> plugins_;
    // One read buffer shared by every pipe: libuv hands it to a read callback right after
    // allocating it, so no two reads hold it at once.
    std::unique_ptr<char[]> read_buf_;
    bool closed_ = false;
    Counts counts_;
};

}  // namespace beat
