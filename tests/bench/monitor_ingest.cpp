// monitor_ingest: what a beat costs the monitor as the number of metrics a host sends grows, with
// the metrics in the same order every beat (what agents do) and in a new order every beat (a
// metrics file rewritten in another order).
//
// Feeds the same fleet's beats (hosts x metrics, several rounds, each beat split into as many
// datagrams as it needs) through the real Monitor and Store; the first round, which creates the
// hosts, their metric slots and their series, is not timed. Prints the median nanoseconds of CPU
// time per metric value over the trials, for each order. Pure computation: no sockets, one
// thread. `--order` runs one order only (for a profiler such as callgrind).
#include <arpa/inet.h>
#include <netinet/in.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "beat_server/core/ingest/monitor.hpp"
#include "tests/bench/bench_clock.hpp"

namespace {

using beat::bench::thread_cpu_ns;

// The monitor wants a sink; the benchmark ignores the events.
struct NullSink final : beat::EventSink {
    void on_event(const beat::Event&) override {}
};

constexpr std::int64_t kStartMs = 1'700'000'000'000;
constexpr std::uint32_t kIntervalMs = 5000;

// rounds[r]: every datagram of round r, host after host.
using Fleet = std::vector<std::vector<std::string>>;

Fleet make_fleet(unsigned hosts, unsigned metrics, unsigned rounds, bool shuffled) {
    Fleet fleet(rounds);
    std::mt19937 rng(42);
    beat::Heartbeat hb;
    hb.incarnation = 1;
    hb.interval_ms = kIntervalMs;
    for (unsigned r = 0; r < rounds; ++r) {
        for (unsigned h = 0; h < hosts; ++h) {
            hb.host = "host-" + std::to_string(h);
            hb.sequence = r + 1;
            hb.send_time_ms = kStartMs + std::int64_t{r} * kIntervalMs;
            hb.metrics.clear();
            for (unsigned m = 0; m < metrics; ++m)
                hb.metrics.push_back({"metric." + std::to_string(m), double(r * m)});
            if (shuffled) std::shuffle(hb.metrics.begin(), hb.metrics.end(), rng);
            for (std::string& d : beat::pack_beat(hb))
                fleet[r].push_back(std::move(d));
        }
    }
    return fleet;
}

// Nanoseconds per metric value for rounds 1.. of `fleet` through a fresh monitor.
double ingest_ns(const Fleet& fleet, std::size_t values_per_round) {
    beat::Store store;
    NullSink sink;
    beat::MonitorConfig cfg;
    cfg.max_metrics_per_host = 100'000;
    beat::Monitor monitor(cfg, store, sink);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(0x0a000001);
    const beat::SourceAddress from(reinterpret_cast<const sockaddr*>(&a));
    auto feed = [&](std::size_t r) {
        const std::int64_t t = std::int64_t(r) * kIntervalMs;
        for (const std::string& d : fleet[r])
            monitor.on_datagram(d, from, t, kStartMs + t);
    };
    feed(0);
    const std::int64_t t0 = thread_cpu_ns();
    for (std::size_t r = 1; r < fleet.size(); ++r)
        feed(r);
    const std::int64_t t1 = thread_cpu_ns();
    if (monitor.stats().metrics != values_per_round * fleet.size()) {
        std::fprintf(stderr, "unexpected: %llu values stored, %zu sent\n",
                     static_cast<unsigned long long>(monitor.stats().metrics),
                     values_per_round * fleet.size());
        std::exit(1);
    }
    return double(t1 - t0) / double(values_per_round * (fleet.size() - 1));
}

// The median, or 0 for no figures (an order not run).
double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    unsigned hosts = 200, rounds = 11, trials = 5;
    std::string order = "both";
    std::vector<unsigned> metric_counts{8, 32, 256};
    CLI::App app{
        "Measures what a beat's metrics cost the monitor, in a fixed and a changing order"};
    app.add_option("--hosts", hosts)->capture_default_str()->check(CLI::Range(1u, 100'000u));
    app.add_option("--metrics", metric_counts, "metrics per beat, one measurement each")
        ->capture_default_str()
        ->check(CLI::Range(1u, 10'000u));
    app.add_option("--rounds", rounds, "beats per host (the first is not timed)")
        ->capture_default_str()
        ->check(CLI::Range(2u, 1000u));
    app.add_option("--trials", trials)->capture_default_str()->check(CLI::Range(1u, 99u));
    app.add_option("--order", order, "same, new (a new order every beat) or both")
        ->capture_default_str()
        ->check(CLI::IsMember({"same", "new", "both"}));
    CLI11_PARSE(app, argc, argv);
    const bool run_same = order != "new", run_new = order != "same";

    std::printf("hosts=%u rounds=%u trials=%u\n", hosts, rounds, trials);
    for (const unsigned metrics : metric_counts) {
        const Fleet same = run_same ? make_fleet(hosts, metrics, rounds, false) : Fleet{};
        const Fleet shuffled = run_new ? make_fleet(hosts, metrics, rounds, true) : Fleet{};
        const std::size_t values = std::size_t{hosts} * metrics;
        std::vector<double> fixed_ns, changing_ns;
        for (unsigned t = 0; t < trials; ++t) {
            // Alternating, so that drift in the machine's speed hits both alike.
            if (run_same) fixed_ns.push_back(ingest_ns(same, values));
            if (run_new) changing_ns.push_back(ingest_ns(shuffled, values));
        }
        std::printf("metrics=%u ns/value: same order %.1f, new order %.1f\n", metrics,
                    median(fixed_ns), median(changing_ns));
    }
    return 0;
}
