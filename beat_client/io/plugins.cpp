#include "beat_client/io/plugins.hpp"

#include <fmt/core.h>
#include <signal.h>

#include <string>
#include <utility>

#include "beat_client/core/failure_latch.hpp"
#include "beat_client/core/plugin_output.hpp"
#include "common/duration.hpp"
#include "common/log.hpp"
#include "common/uv/handle.hpp"
#include "common/uv/uv_error.hpp"

namespace beat {
namespace {

constexpr std::size_t kReadBufferBytes = 16 * 1024;

// SIGKILL to the process group that the plugin `pid` leads.
void kill_group(int pid) noexcept {
    if (pid > 0) ::kill(-pid, SIGKILL);  // Never kill(0): that is the agent's own group.
}

}  // namespace

struct Plugins::Plugin {
    Plugins* owner = nullptr;
    PluginConfig cfg;
    std::vector<char*> argv;  // Into cfg.command, ending with a null pointer.
    std::uint32_t every = 0;  // 0: not scheduled.

    // The run in progress, if any: its handles (from init_handle(), null once closed).
    uv_timer_t* timer = nullptr;  // Open from the start of a run to its end.
    uv_process_t* process = nullptr;
    uv_pipe_t* out = nullptr;
    uv_pipe_t* err = nullptr;
    int pid = 0;
    bool exited = false;
    std::int64_t exit_status = 0;
    int term_signal = 0;
    bool timed_out = false;
    bool cut = false;  // Stdout went past kMaxPluginOutputBytes.
    std::string out_text;
    std::string err_text;

    // The metrics of the last run finished, until collected.
    std::vector<Metric> metrics;
    bool finished = false;

    FailureLatch failing;
    FailureLatch skipping;

    bool running() const noexcept { return timer != nullptr; }
    void close_run() noexcept {
        close_handle(timer);
        close_handle(process);
        close_handle(out);
        close_handle(err);
    }
};

Plugins::Plugins(uv_loop_t* loop, std::vector<PluginConfig> plugins) : loop_(loop) {
    if (plugins.empty()) return;
    read_buf_ = std::make_unique<char[]>(kReadBufferBytes);
    for (PluginConfig& cfg : plugins) {
        auto p = std::make_unique<Plugin>();
        p->owner = this;
        p->cfg = std::move(cfg);
        for (std::string& arg : p->cfg.command)
            p->argv.push_back(arg.data());
        p->argv.push_back(nullptr);
        plugins_.push_back(std::move(p));
    }
}

Plugins::~Plugins() {
    close();
}

void Plugins::set_schedule(std::vector<PluginEvery> schedule) {
    for (auto& p : plugins_) {
        p->every = 0;
        for (const PluginEvery& s : schedule) {
            if (s.name == p->cfg.name) p->every = s.every;
        }
    }
}

void Plugins::on_beat(std::uint64_t beat_index, MetricWriter& w) noexcept {
    collect(w);
    if (closed_) return;
    for (auto& p : plugins_) {
        if (p->every == 0 || beat_index % p->every != 0) continue;
        if (p->running()) {
            ++counts_.skipped;
            if (p->skipping.fail()) {
                log_info(
                    "plugin still running, run skipped plugin={} timeout={} (each run it is due "
                    "again before it ends is skipped and counted in the stop line)",
                    p->cfg.name, format_duration_unit(p->cfg.timeout_ms));
            }
            continue;
        }
        p->skipping.succeed();
        start(*p);
    }
}

void Plugins::collect(MetricWriter& w) noexcept {
    for (auto& p : plugins_) {
        if (!p->finished) continue;
        p->finished = false;
        try {
            for (const Metric& m : p->metrics)
                w.add(m.value, m.name);
        } catch (const std::exception& e) {
            log_error("plugin {}: metrics left out: {}", p->cfg.name, e.what());
        }
    }
}

void Plugins::start(Plugin& p) noexcept {
    p.exited = false;
    p.exit_status = 0;
    p.term_signal = 0;
    p.timed_out = false;
    p.cut = false;
    p.pid = 0;
    p.out_text.clear();
    p.err_text.clear();
    try {
        p.timer = init_handle<uv_timer_t>(uv_timer_init, loop_, "uv_timer_init");
        p.timer->data = &p;
        p.out = init_handle<uv_pipe_t>(uv_pipe_init, loop_, "uv_pipe_init", 0);
        p.out->data = &p;
        p.err = init_handle<uv_pipe_t>(uv_pipe_init, loop_, "uv_pipe_init", 0);
        p.err->data = &p;
        p.process = new uv_process_t{};  // Initialised by uv_spawn(), which comes next.
        p.process->data = &p;
    } catch (const std::exception& e) {
        p.close_run();
        report(p, fmt::format("cannot start: {}", e.what()));
        return;
    }
    uv_stdio_container_t stdio[3];
    stdio[0].flags = UV_IGNORE;  // /dev/null: a plugin never waits for input.
    stdio[1].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
    stdio[1].data.stream = reinterpret_cast<uv_stream_t*>(p.out);
    // A pipe rather than /dev/null, so that the start of what a failing plugin says can go into
    // the line that reports it.
    stdio[2].flags = static_cast<uv_stdio_flags>(UV_CREATE_PIPE | UV_WRITABLE_PIPE);
    stdio[2].data.stream = reinterpret_cast<uv_stream_t*>(p.err);
    uv_process_options_t options{};
    options.exit_cb = &Plugins::on_exit;
    options.file = p.argv[0];
    options.args = p.argv.data();
    options.stdio_count = 3;
    options.stdio = stdio;
    // setsid() in the child: the plugin leads a process group of its own, which the timeout kills
    // whole, so that what a script started dies with it.
    options.flags = UV_PROCESS_DETACHED;
    int rc = uv_spawn(loop_, p.process, &options);
    if (rc < 0) {
        // The handle was initialised all the same, and is closed like any other.
        p.close_run();
        report(p, fmt::format("cannot start {}: {}", p.cfg.command[0], uv_message(rc)));
        return;
    }
    p.pid = p.process->pid;
    if ((rc = uv_read_start(reinterpret_cast<uv_stream_t*>(p.out), &Plugins::on_alloc,
                            &Plugins::on_stdout)) < 0 ||
        (rc = uv_read_start(reinterpret_cast<uv_stream_t*>(p.err), &Plugins::on_alloc,
                            &Plugins::on_stderr)) < 0 ||
        (rc = uv_timer_start(p.timer, &Plugins::on_timeout,
                             static_cast<std::uint64_t>(p.cfg.timeout_ms), 0)) < 0) {
        kill_group(p.pid);
        p.close_run();
        report(p, fmt::format("cannot watch the run: {}", uv_message(rc)));
    }
}

void Plugins::on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) noexcept {
    const Plugin* p = static_cast<Plugin*>(h->data);
    buf->base = p->owner->read_buf_.get();
    buf->len = kReadBufferBytes;
}

void Plugins::on_stdout(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept {
    Plugin& p = *static_cast<Plugin*>(s->data);
    if (nread > 0) {
        const std::size_t n = static_cast<std::size_t>(nread);
        const std::size_t room = kMaxPluginOutputBytes - p.out_text.size();
        // Past the bound the rest is read and dropped, so that the plugin is not left blocked on
        // a full pipe until its timeout.
        if (n > room) p.cut = true;
        p.out_text.append(buf->base, std::min(n, room));
    } else if (nread < 0) {  // UV_EOF, or an error that ends the output just the same.
        close_handle(p.out);
        p.owner->finish_if_done(p);
    }
}

void Plugins::on_stderr(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept {
    Plugin& p = *static_cast<Plugin*>(s->data);
    if (nread > 0) {
        const std::size_t room = kMaxPluginStderrBytes - p.err_text.size();
        p.err_text.append(buf->base, std::min(static_cast<std::size_t>(nread), room));
    } else if (nread < 0) {
        close_handle(p.err);
    }
}

void Plugins::on_exit(uv_process_t* h, std::int64_t status, int term_signal) noexcept {
    Plugin& p = *static_cast<Plugin*>(h->data);
    p.exited = true;
    p.exit_status = status;
    p.term_signal = term_signal;
    close_handle(p.process);
    p.owner->finish_if_done(p);
}

void Plugins::on_timeout(uv_timer_t* t) noexcept {
    Plugin& p = *static_cast<Plugin*>(t->data);
    p.timed_out = true;
    // The whole group: a shell plugin's children too. After the plugin itself has exited, the
    // group is only waited for because a member holds stdout open, and its id cannot be reused
    // while it has members.
    kill_group(p.pid);
    close_handle(p.out);
    close_handle(p.err);
    p.owner->finish_if_done(p);
}

void Plugins::finish_if_done(Plugin& p) noexcept {
    if (p.exited && p.out == nullptr) finish(p);
}

void Plugins::finish(Plugin& p) noexcept {
    close_handle(p.timer);
    close_handle(p.err);
    std::string problem;
    try {
        MetricWriter w(p.metrics);
        if (p.timed_out) {
            problem = fmt::format("timed out after {}, its process group killed",
                                  format_duration_unit(p.cfg.timeout_ms));
        } else if (p.term_signal != 0) {
            problem = fmt::format("killed by signal {}", p.term_signal);
        } else if (p.exit_status != 0) {
            problem = fmt::format("exit status {}", p.exit_status);
        } else {
            // Only a run that ended well is read: another one's output may stop half-way.
            problem = output_problem(parse_plugin_output(p.cfg.name, p.out_text, p.cut, w));
        }
        w.finish();
        p.finished = !p.metrics.empty();
    } catch (const std::exception& e) {
        problem = fmt::format("output not read: {}", e.what());
    }
    report(p, problem);
}

void Plugins::report(Plugin& p, const std::string& problem) noexcept {
    ++counts_.runs;
    if (problem.empty()) {
        if (p.failing.succeed()) {
            log_info("plugin ok again plugin={} metrics={}", p.cfg.name, p.metrics.size());
        }
        return;
    }
    ++counts_.failures;
    const std::string err = stderr_excerpt(p.err_text);
    const std::string err_field = err.empty() ? "" : fmt::format(" stderr=\"{}\"", err);
    if (p.failing.fail()) {
        log_warn("plugin failed plugin={} error=\"{}\"{} (logged again when it works)", p.cfg.name,
                 problem, err_field);
    } else {
        log_debug("plugin failed again plugin={} error=\"{}\"{}", p.cfg.name, problem, err_field);
    }
}

void Plugins::close() noexcept {
    closed_ = true;
    for (auto& p : plugins_) {
        if (!p->running()) continue;
        if (!p->exited || p->out != nullptr) kill_group(p->pid);
        p->close_run();
    }
}

bool Plugins::idle() const noexcept {
    for (const auto& p : plugins_) {
        if (p->running()) return false;
    }
    return true;
}

Plugins::Counts Plugins::counts() const noexcept {
    return counts_;
}

}  // namespace beat
