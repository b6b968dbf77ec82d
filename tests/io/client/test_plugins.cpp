// Plugins: real shell-script plugins in a temporary directory, run on a real loop. Beats are
// driven by hand (on_beat with the beat's number); waits end on what the runner or the kernel
// shows (a run over, a process gone), each within a deadline.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "beat_client/io/plugins.hpp"
#include "common/log.hpp"
#include "common/uv/handle.hpp"
#include "tests/integration/harness.hpp"
#include "tests/io/loop_fixture.hpp"

using namespace beat;
using namespace std::chrono_literals;
using test::TempDir;
using test::TestLoop;
using test::wait_process_gone;
using test::write_script;

namespace {

PluginConfig plugin(const std::string& name, const std::string& path,
                    std::int64_t timeout_ms = 5000) {
    PluginConfig p;
    p.name = name;
    p.command = {path};
    p.timeout_ms = timeout_ms;
    return p;
}

// Turns the loop until no run is left, failing the test after `limit_ms`.
void run_until_idle(TestLoop& loop, const Plugins& plugins, std::uint64_t limit_ms = 10'000) {
    UvHandle<uv_timer_t> guard(uv_timer_init, loop.get(), "uv_timer_init");
    uv_timer_start(
        guard.get(), [](uv_timer_t*) {}, limit_ms, 0);
    while (!plugins.idle() && uv_is_active(guard.base()))
        uv_run(loop.get(), UV_RUN_ONCE);
    REQUIRE(plugins.idle());
}

// The metrics on_beat() gives at beat `index`.
std::vector<Metric> beat_at(Plugins& plugins, std::uint64_t index) {
    std::vector<Metric> out;
    MetricWriter w(out);
    plugins.on_beat(index, w);
    w.finish();
    return out;
}

std::size_t count_lines(const LogCapture& log, const std::string& needle) {
    return static_cast<std::size_t>(
        std::count_if(log.lines().begin(), log.lines().end(),
                      [&](const std::string& l) { return l.find(needle) != std::string::npos; }));
}

// The plugin "slow", which prints "done 1" once the file `release` exists.
PluginConfig slow_plugin(const TempDir& dir, const std::string& release) {
    return plugin("slow", write_script(dir, "slow",
                                       "while [ ! -e " + release +
                                           " ]; do sleep 0.01; done\necho 'done 1'\n"));
}

pid_t read_pid(const std::string& path) {
    std::ifstream in(path);
    pid_t pid = 0;
    in >> pid;
    return pid;
}

}  // namespace

TEST_CASE("a plugin's lines go into the beat after its run, named after the plugin", "[plugins]") {
    TempDir dir;
    TestLoop loop;
    {
        Plugins plugins(loop.get(), {plugin("web", write_script(dir, "web",
                                                                "echo '# status'\n"
                                                                "echo 'active 3'\n"
                                                                "echo 'latency.ms 1.5'\n"))});
        plugins.set_schedule({{"web", 2}});
        CHECK(beat_at(plugins, 0).empty());  // Started: its values come with a later beat.
        CHECK_FALSE(plugins.idle());
        run_until_idle(loop, plugins);
        CHECK(beat_at(plugins, 1) ==
              std::vector<Metric>{{"web.active", 3}, {"web.latency.ms", 1.5}});
        CHECK(plugins.idle());  // Every 2 beats: not due at beat 1.
        CHECK(beat_at(plugins, 2).empty());
        CHECK_FALSE(plugins.idle());
        run_until_idle(loop, plugins);
        CHECK(beat_at(plugins, 3).size() == 2);
        CHECK(beat_at(plugins, 3).empty());  // Each run's values are sent once.
        CHECK(plugins.counts().runs == 2);
        CHECK(plugins.counts().failures == 0);
    }
    CHECK(loop.closes_with_no_handle_open());
}

TEST_CASE("a plugin that hangs is killed at its timeout with every process of its group",
          "[plugins]") {
    TempDir dir;
    TestLoop loop;
    LogCapture log(LogFormat::text, true);
    const std::string child_pid = dir.path() + "/child.pid";
    const std::string self_pid = dir.path() + "/self.pid";
    {
        // The script starts a child of its own first, as a shell plugin running a pipeline would.
        Plugins plugins(loop.get(),
                        {plugin("hang",
                                write_script(dir, "hang",
                                             "sleep 1000 &\n"
                                             "echo $! > " +
                                                 child_pid + "\n" + "echo $$ > " + self_pid + "\n" +
                                                 "echo 'x 1'\n"
                                                 "sleep 1000\n"),
                                3000)});
        plugins.set_schedule({{"hang", 1}});
        const auto started = std::chrono::steady_clock::now();
        beat_at(plugins, 0);
        run_until_idle(loop, plugins);
        const auto took = std::chrono::steady_clock::now() - started;
        // Killed at its timeout, not before; the 3 s leave the shell time to write both pid files
        // on a loaded machine. The upper bound only says the kill came (a hang would not return).
        CHECK(took >= 3s);
        CHECK(took < 30s);
        // A run that was killed sends nothing, not even the line it printed.
        CHECK(beat_at(plugins, 1).empty());
        plugins.close();
    }
    CHECK(loop.closes_with_no_handle_open());
    const pid_t child = read_pid(child_pid), self = read_pid(self_pid);
    REQUIRE(child > 0);
    REQUIRE(self > 0);
    CHECK(wait_process_gone(self));
    CHECK(wait_process_gone(child));
    CHECK(count_lines(log,
                      "plugin failed plugin=hang error=\"timed out after 3s, its process "
                      "group killed\"") == 1);
}

TEST_CASE("a failing plugin is logged once until it works again", "[plugins]") {
    TempDir dir;
    TestLoop loop;
    LogCapture log(LogFormat::text, true);
    const std::string ok = dir.path() + "/ok";
    {
        Plugins plugins(loop.get(), {plugin("flaky", write_script(dir, "flaky",
                                                                  "if [ -e " + ok +
                                                                      " ]; then echo 'up 1'; "
                                                                      "else echo 'no connection' "
                                                                      ">&2; exit 3; fi\n"))});
        plugins.set_schedule({{"flaky", 1}});
        std::uint64_t index = 0;
        const auto run_once = [&] {
            const auto got = beat_at(plugins, index++);
            run_until_idle(loop, plugins);
            return got;
        };
        for (int i = 0; i < 3; ++i)
            run_once();
        CHECK(count_lines(log,
                          "<4>WARN plugin failed plugin=flaky error=\"exit status 3\" "
                          "stderr=\"no connection\" (logged again when it works)") == 1);
        CHECK(plugins.counts().failures == 3);
        CHECK(run_once().empty());  // The failed run's values: none.
        std::ofstream(ok) << "";
        run_once();
        CHECK(run_once() == std::vector<Metric>{{"flaky.up", 1}});
        CHECK(count_lines(log, "<6>INFO plugin ok again plugin=flaky metrics=1") == 1);
        std::filesystem::remove(ok);
        run_once();
        run_once();
        CHECK(count_lines(log, "WARN plugin failed plugin=flaky") == 2);
        CHECK(plugins.counts().runs == 8);
    }
    CHECK(loop.closes_with_no_handle_open());
}

TEST_CASE("a plugin still running when it is due again skips that run, counted", "[plugins]") {
    TempDir dir;
    TestLoop loop;
    LogCapture log(LogFormat::text, true);
    const std::string release = dir.path() + "/release";
    {
        Plugins plugins(loop.get(), {slow_plugin(dir, release)});
        plugins.set_schedule({{"slow", 1}});
        beat_at(plugins, 0);
        CHECK(beat_at(plugins, 1).empty());
        CHECK(beat_at(plugins, 2).empty());
        CHECK(plugins.counts().skipped == 2);
        CHECK(count_lines(log, "plugin still running, run skipped plugin=slow") == 1);
        std::ofstream(release) << "";
        run_until_idle(loop, plugins);
        CHECK(beat_at(plugins, 3) == std::vector<Metric>{{"slow.done", 1}});
        run_until_idle(loop, plugins);
        CHECK(plugins.counts().runs == 2);
        CHECK(plugins.counts().skipped == 2);
    }
    CHECK(loop.closes_with_no_handle_open());
}

TEST_CASE("a plugin taken off the schedule finishes its run and its values are still sent",
          "[plugins]") {
    TempDir dir;
    TestLoop loop;
    const std::string release = dir.path() + "/release";
    {
        Plugins plugins(loop.get(), {slow_plugin(dir, release)});
        plugins.set_schedule({{"slow", 1}});
        beat_at(plugins, 0);
        plugins.set_schedule({});
        std::ofstream(release) << "";
        run_until_idle(loop, plugins);
        CHECK(beat_at(plugins, 1) == std::vector<Metric>{{"slow.done", 1}});
        CHECK(plugins.idle());  // Not started again.
        plugins.set_schedule({{"slow", 3}});
        beat_at(plugins, 2);
        CHECK(plugins.idle());
        beat_at(plugins, 3);
        CHECK_FALSE(plugins.idle());
        run_until_idle(loop, plugins);
    }
    CHECK(loop.closes_with_no_handle_open());
}

TEST_CASE("output past 64 KiB is cut and reported, the whole lines before it kept", "[plugins]") {
    TempDir dir;
    TestLoop loop;
    LogCapture log(LogFormat::text, true);
    {
        Plugins plugins(loop.get(), {plugin("big", write_script(dir, "big",
                                                                "echo 'first 1'\n"
                                                                "head -c 100000 /dev/zero | "
                                                                "tr '\\0' '#'\n"
                                                                "echo\n"
                                                                "echo 'last 2'\n"))});
        plugins.set_schedule({{"big", 1}});
        beat_at(plugins, 0);
        run_until_idle(loop, plugins);
        CHECK(beat_at(plugins, 1) == std::vector<Metric>{{"big.first", 1}});
    }
    CHECK(loop.closes_with_no_handle_open());
    // The plugin was read to its end, so it exited by itself rather than at its timeout.
    CHECK(count_lines(log, "plugin failed plugin=big error=\"output cut at 65536 bytes\"") == 1);
}

TEST_CASE("a plugin that cannot start is logged and leaves no handle open", "[plugins]") {
    TempDir dir;
    TestLoop loop;
    LogCapture log(LogFormat::text, true);
    {
        Plugins plugins(loop.get(), {plugin("gone", dir.path() + "/missing")});
        plugins.set_schedule({{"gone", 1}});
        CHECK(beat_at(plugins, 0).empty());
        CHECK(plugins.idle());
        CHECK(plugins.counts().failures == 1);
    }
    CHECK(loop.closes_with_no_handle_open());
    CHECK(count_lines(log, "plugin failed plugin=gone error=\"cannot start " + dir.path() +
                               "/missing: no such file or directory\"") == 1);
}

TEST_CASE("closing kills the runs in progress and leaves no handle open", "[plugins]") {
    TempDir dir;
    TestLoop loop;
    const std::string child_pid = dir.path() + "/child.pid";
    {
        Plugins plugins(
            loop.get(),
            {plugin("hang",
                    write_script(dir, "hang",
                                 "sleep 1000 &\necho $! > " + child_pid + "\nsleep 1000\n"),
                    3'600'000)});
        plugins.set_schedule({{"hang", 1}});
        beat_at(plugins, 0);
        // The script has started its child once the pid file holds a pid.
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (read_pid(child_pid) <= 0 && std::chrono::steady_clock::now() < deadline) {
            uv_run(loop.get(), UV_RUN_NOWAIT);
            std::this_thread::sleep_for(1ms);
        }
        REQUIRE(read_pid(child_pid) > 0);
        plugins.close();
        CHECK(plugins.idle());
        beat_at(plugins, 1);
        CHECK(plugins.idle());  // Nothing starts after close().
    }
    CHECK(loop.closes_with_no_handle_open());
    CHECK(wait_process_gone(read_pid(child_pid)));
}

TEST_CASE("with no plugin the runner holds no handle and gives no metric", "[plugins]") {
    TestLoop loop;
    {
        Plugins plugins(loop.get(), {});
        plugins.set_schedule({});
        CHECK(beat_at(plugins, 0).empty());
        CHECK(plugins.idle());
    }
    CHECK(loop.closes_with_no_handle_open());
}
