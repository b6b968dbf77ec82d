// retention_bench: memory over simulated time, with the store's retention, at an accelerated
// clock (days of heartbeats in seconds, no sockets, no sleeping). Reports the heap in use per
// stored point and per host as simulated time goes by, to show what a fleet's retention window
// costs and that memory stays flat once the window is full. Two ways to feed it:
//
// - The monitor (default): every simulated host's beat is encoded as a datagram and handed to the
//   real Monitor, which stores its metrics; every --interval seconds, --metrics metrics of one
//   value per beat (the beat's sequence modulo 100).
// - The store alone (--agent): the agent's 17 metrics, with values like a Linux agent's, put
//   straight into the Store, as the monitor does with a decoded beat; fast enough for 1,000 hosts
//   over 7 days (2 billion points) in minutes. Each host beats every --interval seconds from its
//   own phase, stamped to the second it was sent in, with up to 0.3 s of jitter either way and one
//   beat in a hundred 1-3 s late. Values, per metric (two decimals where the agent rounds to two):
//     cpu, mem.used_pct, swap.used_pct, disk./.used_pct, disk./var.used_pct   percentages
//         moving by about 1.5, 0.05, rarely, rarely and rarely a beat;
//     load.1, load.5, load.15          load averages moving by 0.05, 0.02, 0.01 a beat;
//     mem.avail_bytes, agent.rss_bytes  bytes in pages, moving by about 256 kB and rarely;
//     intr, ctxt                       counters growing by about 2,000/s and 5,000/s;
//     uptime                           seconds with two decimals, growing with the clock;
//     net.eth0.rx_bps, net.eth0.tx_bps rates of about 100 and 25 kB/s, +-30% a beat;
//     net.lo.rx_bps, net.lo.tx_bps     rates of about 1 kB/s, +-30% a beat.
//
// With the monitor, the retention sweep runs every --sweep-every simulated seconds (the server's:
// 1) with the server's budget (100,000 keys). With --agent, each host's beats of one reporting
// period are put before the next host's (see run_agent()), and a whole pass of the sweep runs at
// the end of the period; a key drops its blocks in batches of at least 1/16 of its points anyway.
// Prints one line per --report-every simulated hours:
//   "day=D hosts=H keys=K points=P heap_mib=M bytes_per_point=B bytes_per_host=B"
// and, with --agent, the chunk bytes per point of each metric and the CPU time of making the
// values and putting them.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "beat_server/core/ingest/monitor.hpp"
#include "common/wire.hpp"
#include "tests/bench/agent_metrics.hpp"
#include "tests/bench/bench_clock.hpp"

namespace {

constexpr std::int64_t kStartS = 1'700'000'000;
constexpr std::size_t kSweepKeys = 100'000;

// The monitor wants a sink; the benchmark ignores the events.
struct NullSink final : beat::EventSink {
    void on_event(const beat::Event&) override {}
};

// Bytes allocated and not freed, including the large blocks malloc maps on their own.
std::size_t heap_in_use() {
    const struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

struct Options {
    unsigned hosts = 100, metrics = 20, interval_s = 10;
    double days = 3, retention_days = 1, report_hours = 6;
    std::size_t max_points = 100'000;
    std::int64_t sweep_every_s = 1;
    bool agent = false;
};

// Prints the report line for simulated time `now`.
void report(const beat::Store& store, std::size_t hosts, std::int64_t now,
            std::size_t heap_before) {
    const double heap = static_cast<double>(heap_in_use() - heap_before);
    std::printf(
        "day=%.2f hosts=%zu keys=%zu points=%zu heap_mib=%.1f bytes_per_point=%.2f "
        "bytes_per_host=%.0f\n",
        static_cast<double>(now - kStartS) / 86'400, hosts, store.key_count(), store.point_count(),
        heap / (1 << 20), heap / static_cast<double>(store.point_count()),
        heap / static_cast<double>(hosts));
    std::fflush(stdout);
}

void run_monitor(const Options& o) {
    const std::size_t heap_before = heap_in_use();
    beat::Store store(beat::RetentionLimits{static_cast<std::int64_t>(o.retention_days * 86'400),
                                            o.max_points, 1'000'000});
    NullSink sink;
    beat::Monitor monitor(beat::MonitorConfig{}, store, sink);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    from.sin_addr.s_addr = htonl(0x0a000001);
    const beat::SourceAddress source(reinterpret_cast<const sockaddr*>(&from));

    // One datagram per host, encoded once; each beat is re-encoded with its sequence and time.
    std::vector<beat::Heartbeat> beats(o.hosts);
    for (unsigned h = 0; h < o.hosts; ++h) {
        beats[h].host = "host-" + std::to_string(h);
        beats[h].incarnation = 1;
        beats[h].interval_ms = o.interval_s * 1000;
        for (unsigned m = 0; m < o.metrics; ++m)
            beats[h].metrics.push_back({"metric." + std::to_string(m), 0});
    }
    const auto end_s = kStartS + static_cast<std::int64_t>(o.days * 86'400);
    const auto report_s = static_cast<std::int64_t>(o.report_hours * 3600);
    std::uint64_t seq = 0;
    for (std::int64_t now = kStartS; now <= end_s; ++now) {
        if ((now - kStartS) % o.interval_s == 0) {
            ++seq;
            for (auto& hb : beats) {
                hb.sequence = seq;
                hb.send_time_ms = now * 1000;
                for (auto& m : hb.metrics)
                    m.value = static_cast<double>(seq % 100);
                for (const std::string& d : beat::pack_beat(hb))
                    monitor.on_datagram(d, source, (now - kStartS) * 1000, now * 1000);
            }
        }
        if ((now - kStartS) % o.sweep_every_s == 0) store.sweep(now, kSweepKeys);
        if ((now - kStartS) % report_s == 0 && now != kStartS)
            report(store, monitor.registry().size(), now, heap_before);
    }
}

// splitmix64: a fast generator, good enough for noise.
struct Random {
    std::uint64_t state;
    std::uint64_t next() noexcept {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
        z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
        return z ^ (z >> 31);
    }
    // Uniform in [0, 1).
    double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1p-53; }
    // Roughly normal, mean 0 and deviation 1 (a sum of four uniforms).
    double normal() noexcept { return (unit() + unit() + unit() + unit() - 2) * 1.7320508; }
};

double round2(double v) {
    return std::round(v * 100) / 100;
}

// The agent's metrics, in the order of a beat (kAgentMetrics).
enum Metric {
    cpu,
    mem_used_pct,
    mem_avail_bytes,
    swap_used_pct,
    load_1,
    load_5,
    load_15,
    intr,
    ctxt,
    uptime,
    disk_root_pct,
    disk_var_pct,
    eth0_rx,
    eth0_tx,
    lo_rx,
    lo_tx,
    rss_bytes,
    kMetrics
};
using beat::bench::kAgentMetrics;
static_assert(kAgentMetrics.size() == kMetrics);

// One host's agent: its metrics' current values, moved by each beat.
struct Agent {
    std::array<double, kMetrics> v{};
    double phase_s = 0, boot_s = 0;
    std::int64_t last_ts = 0;

    explicit Agent(Random& r) {
        phase_s = 5 * r.unit();
        boot_s = 86'400 * 30 * r.unit();
        v[cpu] = round2(5 + 30 * r.unit());
        v[mem_used_pct] = round2(20 + 60 * r.unit());
        v[mem_avail_bytes] = 4096 * std::round(1e6 * (1 + 15 * r.unit()));
        v[swap_used_pct] = r.unit() < 0.7 ? 0 : round2(10 * r.unit());
        v[load_1] = v[load_5] = v[load_15] = round2(4 * r.unit());
        v[intr] = std::round(1e9 * r.unit());
        v[ctxt] = std::round(3e9 * r.unit());
        v[disk_root_pct] = round2(10 + 80 * r.unit());
        v[disk_var_pct] = round2(10 + 80 * r.unit());
        v[rss_bytes] = 4096 * std::round(1500 + 200 * r.unit());
    }

    // Moves the values to a beat sent `elapsed_s` after the last one (`sent_s`: since start).
    void beat(Random& r, double sent_s, double elapsed_s) {
        const auto walk = [&](double x, double step, double lo, double hi) {
            return std::clamp(round2(x + step * r.normal()), lo, hi);
        };
        v[cpu] = walk(v[cpu], 1.5, 0, 100);
        v[mem_used_pct] = walk(v[mem_used_pct], 0.05, 0, 100);
        v[mem_avail_bytes] = std::max(0.0, v[mem_avail_bytes] + 4096 * std::round(64 * r.normal()));
        if (r.unit() < 0.01) v[swap_used_pct] = walk(v[swap_used_pct], 0.02, 0, 100);
        v[load_1] = walk(v[load_1], 0.05, 0, 64);
        v[load_5] = walk(v[load_5], 0.02, 0, 64);
        v[load_15] = walk(v[load_15], 0.01, 0, 64);
        v[intr] += std::round(2'000 * elapsed_s * (1 + 0.2 * r.normal()));
        v[ctxt] += std::round(5'000 * elapsed_s * (1 + 0.2 * r.normal()));
        v[uptime] = round2(boot_s + sent_s);
        if (r.unit() < 0.02) v[disk_root_pct] = walk(v[disk_root_pct], 0.01, 0, 100);
        if (r.unit() < 0.02) v[disk_var_pct] = walk(v[disk_var_pct], 0.01, 0, 100);
        v[eth0_rx] = round2(std::max(0.0, 100'000 * (1 + 0.3 * r.normal())));
        v[eth0_tx] = round2(std::max(0.0, 25'000 * (1 + 0.3 * r.normal())));
        v[lo_rx] = v[lo_tx] = round2(std::max(0.0, 1'000 * (1 + 0.3 * r.normal())));
        if (r.unit() < 0.01) v[rss_bytes] += 4096 * std::round(4 * r.normal());
    }
};

void run_agent(const Options& o) {
    const std::size_t heap_before = heap_in_use();
    beat::Store store(beat::RetentionLimits{static_cast<std::int64_t>(o.retention_days * 86'400),
                                            o.max_points, 0});
    Random r{1};
    std::vector<Agent> agents;
    std::vector<beat::Series*> series;
    agents.reserve(o.hosts);
    for (unsigned h = 0; h < o.hosts; ++h) {
        agents.emplace_back(r);
        for (const char* name : kAgentMetrics)
            series.push_back(&store.series("host-" + std::to_string(h) + "." + name));
    }
    // Each reporting period, host after host: every beat of the period of one host, then the
    // next host's. Each key gets the same points in the same order as when the hosts' beats
    // interleave, and the store the same blocks and chunks, but a host's keys stay in the CPU's
    // caches, which makes 2 billion puts take minutes.
    const auto period_s = static_cast<std::int64_t>(o.report_hours * 3600);
    const std::int64_t rounds_per_period = period_s / o.interval_s;
    const auto periods = static_cast<std::int64_t>(o.days * 86'400) / period_s;
    std::int64_t put_ns = 0;
    for (std::int64_t period = 0; period < periods; ++period) {
        const std::int64_t t0 = beat::bench::thread_cpu_ns();
        for (unsigned h = 0; h < o.hosts; ++h) {
            Agent& a = agents[h];
            beat::Series* const* keys = &series[h * kMetrics];
            for (std::int64_t i = 0; i < rounds_per_period; ++i) {
                const std::int64_t round = period * rounds_per_period + i;
                const std::int64_t now = kStartS + round * o.interval_s;
                double sent =
                    a.phase_s + static_cast<double>(round * o.interval_s) + 0.6 * (r.unit() - 0.5);
                if (r.unit() < 0.01) sent += 1 + 2 * r.unit();
                const auto ts =
                    std::max(a.last_ts + 1, kStartS + static_cast<std::int64_t>(std::floor(sent)));
                a.beat(r, sent, round == 0 ? o.interval_s : static_cast<double>(ts - a.last_ts));
                a.last_ts = ts;
                for (unsigned m = 0; m < kMetrics; ++m)
                    store.put(*keys[m], ts, a.v[m], now);
            }
        }
        put_ns += beat::bench::thread_cpu_ns() - t0;
        // A whole pass of the retention over the keys at the period's end.
        const std::int64_t end = kStartS + (period + 1) * period_s;
        while (!store.sweep(end, kSweepKeys).wrapped) {
        }
        report(store, o.hosts, end, heap_before);
    }
    // The chunks' bytes per point of each metric, the open blocks aside.
    for (unsigned m = 0; m < kMetrics; ++m) {
        double bytes = 0, points = 0;
        for (unsigned h = 0; h < o.hosts; ++h) {
            const beat::Series& s = *series[h * kMetrics + m];
            if (s.blocks().size() < 2) continue;
            bytes += s.blocks().back().bytes_end;
            points += s.blocks()[s.blocks().size() - 2].end;
        }
        std::printf("%s=%.2f ", kAgentMetrics[m], bytes / points);
    }
    std::printf("(chunk bytes per point)\n");
    std::printf("values made and put: %.1f s of CPU, %.1f ns a point\n",
                static_cast<double>(put_ns) / 1e9,
                static_cast<double>(put_ns) /
                    static_cast<double>(periods * rounds_per_period * o.hosts * kMetrics));
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    CLI::App app{
        "Runs the retention at an accelerated clock and reports memory per point and host"};
    app.add_option("--hosts", o.hosts, "simulated hosts")->capture_default_str();
    app.add_option("--metrics", o.metrics, "metrics per beat (monitor only)")
        ->capture_default_str();
    app.add_option("--interval", o.interval_s, "seconds between beats")->capture_default_str();
    app.add_option("--days", o.days, "simulated days")->capture_default_str();
    app.add_option("--retention-days", o.retention_days, "--retention")->capture_default_str();
    app.add_option("--max-points", o.max_points, "--max-points-per-key (0: no limit)")
        ->capture_default_str();
    app.add_option("--sweep-every", o.sweep_every_s,
                   "simulated seconds between sweeps (monitor only)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--report-every", o.report_hours, "simulated hours between lines")
        ->capture_default_str();
    app.add_flag("--agent", o.agent, "put the agent's 17 metrics straight into the store");
    CLI11_PARSE(app, argc, argv);
    if (o.agent)
        run_agent(o);
    else
        run_monitor(o);
    return 0;
}
