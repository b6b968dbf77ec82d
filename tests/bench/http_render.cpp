// http_render: how long the HTTP port's pages hold the event loop, against the loop time the same
// fleet's beats take, measured in one run.
//
// For each fleet size, a real Monitor is fed beats from that many hosts, each with the 17 metrics
// a real agent sends (beat_client/core/beat_builder.cpp), and one host in 20 stops beating and is
// expired silent. Each trial then ingests a round of beats from every host still beating (the
// baseline, timed through Monitor::on_datagram; as many rounds as make 20,000 beats for a small
// fleet) and renders /metrics, /hosts, the status page, one host's /hosts/<name> object and its
// page over 7 days, each once, alternating so that drift in the machine's speed hits all of them
// alike. Prints the median of each over the trials, the page's size and its ratio to a beat round:
// the time one beat from every host of the fleet costs the loop (measured per beat on the hosts
// still beating, times the fleet's size). Pure computation: no sockets, one thread.
//
// /metrics and /hosts are also written as the HTTP port streams them: a slice of 64 KiB at a time
// (StreamServer::kSlice), each framed as a chunk and dropped as if sent. Each slice is timed, since
// the port writes one slice per turn of the loop: the first (the page's head and the server's
// figures) and the longest of the others are how long the page holds the loop at once. The whole
// page's time, all slices, is given as a ratio to the one-shot render of the same trial.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "beat_server/core/http/http_message.hpp"
#include "beat_server/core/ingest/monitor.hpp"
#include "beat_server/core/pages/host_page.hpp"
#include "beat_server/core/pages/hosts_json.hpp"
#include "beat_server/core/pages/metrics_page.hpp"
#include "beat_server/core/pages/status_page.hpp"
#include "beat_server/core/report/log_reporter.hpp"
#include "common/log.hpp"
#include "tests/bench/agent_metrics.hpp"
#include "tests/bench/bench_clock.hpp"

namespace {

using beat::bench::now_ns;

constexpr std::int64_t kStartUnixMs = 1'700'000'000'000;
constexpr std::uint32_t kIntervalMs = 5000;
constexpr unsigned kSilentEvery = 20;  // Every 20th host (19, 39, ...) goes silent.
constexpr unsigned kBeatsPerTrial = 20'000;

using beat::bench::kAgentMetrics;

std::string host_name(unsigned h) {
    return fmt::format("node-{:06}.dc1.example.net", h);
}

bool is_silent(unsigned h) {
    return h % kSilentEvery == kSilentEvery - 1;
}

// Beat `round` of host `h`, encoded as its agent sends it; values vary by host and round.
std::string beat_of(unsigned h, unsigned round) {
    beat::Heartbeat hb;
    hb.host = host_name(h);
    hb.incarnation = 1;
    hb.sequence = round + 1;
    hb.send_time_ms = kStartUnixMs + std::int64_t{round} * kIntervalMs;
    hb.interval_ms = kIntervalMs;
    const double x = double((h * 7919u + round * 104729u) % 10000u) / 100.0;  // 0 .. 99.99
    const double values[] = {
        x,       x / 2 + 20, 3.2e9 + x * 1e7, x / 10,        x / 25,
        x / 30,  x / 35,     1e9 + x * 1e5,   2e9 + x * 1e5, 86400.0 * 30 + round * 5.0,
        x * 0.8, x * 0.3,    1.25e6 * x,      2.5e5 * x,     1e3 * x,
        1e3 * x, 6.2e6};
    for (std::size_t m = 0; m < kAgentMetrics.size(); ++m)
        hb.metrics.push_back({kAgentMetrics[m], values[m]});
    std::vector<std::string> parts = beat::pack_beat(hb);
    if (parts.size() != 1) {
        std::fprintf(stderr, "a beat did not fit one datagram\n");
        std::exit(1);
    }
    return std::move(parts[0]);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// A page written slice by slice: the first slice (the page's head), the longest of
// the others, all of them, and how many.
struct Streamed {
    double first_ms = 0, longest_ms = 0, total_ms = 0;
    std::size_t slices = 0;
};

// The medians of a page's streamed figures over the trials, and the longest slice after the first
// of any trial.
struct StreamFigures {
    double first_ms = 0, longest_ms = 0, worst_ms = 0, total_ms = 0, ratio = 0;
    std::size_t slices = 0;
};

struct Figures {
    unsigned hosts = 0, beating = 0;
    std::size_t silent = 0;
    double round_ms = 0;  // One beat from every host of the fleet.
    double metrics_ms = 0, hosts_ms = 0, status_ms = 0, host_ms = 0, host_page_ms = 0;
    std::size_t metrics_bytes = 0, hosts_bytes = 0, status_bytes = 0, host_bytes = 0,
                host_page_bytes = 0;
    StreamFigures metrics_stream, hosts_stream;
};

// Writes `page` as the HTTP port does, a 64 KiB slice at a time framed as a chunk, timing each.
Streamed time_stream(beat::BodySource& page) {
    constexpr std::size_t kSlice = 64 << 10;
    Streamed s;
    std::string slice, chunk;
    for (bool done = false; !done;) {
        slice.clear();
        chunk.clear();
        const std::int64_t t0 = now_ns();
        done = page.write(slice, kSlice);
        beat::append_chunk(chunk, slice);
        const double ms = double(now_ns() - t0) / 1e6;
        if (s.slices == 0) {
            s.first_ms = ms;
        } else {
            s.longest_ms = std::max(s.longest_ms, ms);
        }
        s.total_ms += ms;
        ++s.slices;
    }
    return s;
}

// The medians of `runs`, each run's total against the one-shot render of its trial.
StreamFigures stream_figures(const std::vector<Streamed>& runs,
                             const std::vector<double>& whole_ms) {
    StreamFigures f;
    std::vector<double> first, longest, total, ratio;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        first.push_back(runs[i].first_ms);
        longest.push_back(runs[i].longest_ms);
        total.push_back(runs[i].total_ms);
        ratio.push_back(runs[i].total_ms / whole_ms[i]);
        f.worst_ms = std::max(f.worst_ms, runs[i].longest_ms);
    }
    f.first_ms = median(first);
    f.longest_ms = median(longest);
    f.total_ms = median(total);
    f.ratio = median(ratio);
    f.slices = runs.front().slices;
    return f;
}

// Milliseconds `render` takes; its page's size goes to `bytes`.
template <typename Render>
double time_render(Render render, std::size_t& bytes) {
    const std::int64_t t0 = now_ns();
    const std::string page = render();
    const std::int64_t t1 = now_ns();
    bytes = page.size();
    return double(t1 - t0) / 1e6;
}

Figures measure(unsigned hosts, unsigned trials) {
    beat::RetentionLimits limits;
    // As an operator with this fleet would set --max-keys: every metric of every host is stored.
    limits.max_keys = std::max<std::size_t>(limits.max_keys, hosts * kAgentMetrics.size() + 1);
    beat::Store store(limits);
    // The server's own reporter, with its lines turned off (main() sets the level): no event fires
    // in a timed round, but the fleet's arrival and the silences go through the real sink.
    beat::LogReporter sink;
    beat::MonitorConfig cfg;
    cfg.max_hosts = std::max<std::size_t>(cfg.max_hosts, hosts);
    beat::Monitor monitor(cfg, store, sink);
    const beat::ProtocolStats protocol;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(0x0a000001);
    const beat::SourceAddress from(reinterpret_cast<const sockaddr*>(&a));

    unsigned beating = 0;
    for (unsigned h = 0; h < hosts; ++h)
        beating += is_silent(h) ? 0 : 1;
    std::vector<std::string> round_beats;
    // Encodes round `r` for the hosts it includes; not timed.
    auto encode = [&](unsigned r, bool everyone) {
        round_beats.clear();
        for (unsigned h = 0; h < hosts; ++h)
            if (everyone || !is_silent(h)) round_beats.push_back(beat_of(h, r));
    };
    auto feed = [&](unsigned r) {
        const std::int64_t t = std::int64_t{r} * kIntervalMs;
        for (const std::string& d : round_beats)
            monitor.on_datagram(d, from, t, kStartUnixMs + t);
    };
    // Everyone beats at first; the silent hosts stop after round 0 and are past their timeout
    // (3 intervals) once round 3 is in.
    encode(0, true);
    feed(0);
    unsigned r = 1;
    for (; r <= 3; ++r) {
        encode(r, false);
        feed(r);
    }
    monitor.expire(std::int64_t{r - 1} * kIntervalMs + 1);

    Figures f;
    f.hosts = hosts;
    f.beating = beating;
    f.silent = monitor.liveness().silent_count();
    const beat::HostRecord* one = monitor.registry().find(host_name(hosts - 1));
    std::vector<double> round_ns, metrics_ms, hosts_ms, status_ms, host_ms, host_page_ms;
    std::vector<Streamed> metrics_stream, hosts_stream;
    // A small fleet's round is over in a millisecond: a trial times enough rounds for 20,000
    // beats, so that one preemption does not decide its figure.
    const unsigned rounds_per_trial = std::max(1u, kBeatsPerTrial / beating);
    for (unsigned t = 0; t < trials; ++t) {
        std::int64_t elapsed_ns = 0;
        for (unsigned i = 0; i < rounds_per_trial; ++i, ++r) {
            encode(r, false);
            const std::int64_t t0 = now_ns();
            feed(r);
            elapsed_ns += now_ns() - t0;
        }
        round_ns.push_back(double(elapsed_ns) / double(rounds_per_trial * beating));
        const std::int64_t now = std::int64_t{r - 1} * kIntervalMs + 1;
        monitor.expire(now);
        beat::StatusView view(monitor, store, protocol);
        view.now_ms = now;
        view.now_unix_ms = kStartUnixMs + now;
        view.version = "bench";
        metrics_ms.push_back(
            time_render([&] { return beat::render_metrics(view); }, f.metrics_bytes));
        hosts_ms.push_back(
            time_render([&] { return beat::render_hosts_json(view); }, f.hosts_bytes));
        status_ms.push_back(
            time_render([&] { return beat::render_status_page(view); }, f.status_bytes));
        host_ms.push_back(
            time_render([&] { return beat::render_host_json(*one, view); }, f.host_bytes));
        metrics_stream.push_back(time_stream(*beat::stream_metrics(view)));
        hosts_stream.push_back(time_stream(*beat::stream_hosts_json(view)));
        host_page_ms.push_back(time_render(
            [&] { return beat::render_host_page(*one, view, 7 * 86'400); }, f.host_page_bytes));
    }
    const std::size_t expected = std::size_t{hosts} + std::size_t{beating} * (r - 1);
    const beat::IngestStats& s = monitor.stats();
    if (s.rejected != 0 || s.refused != 0 || f.silent != hosts - beating ||
        s.accepted != expected || s.metrics_refused != 0) {
        std::fprintf(stderr, "unexpected: silent=%zu accepted=%llu of %zu\n", f.silent,
                     static_cast<unsigned long long>(s.accepted), expected);
        std::exit(1);
    }
    f.round_ms = median(round_ns) * hosts / 1e6;
    f.metrics_ms = median(metrics_ms);
    f.hosts_ms = median(hosts_ms);
    f.status_ms = median(status_ms);
    f.host_ms = median(host_ms);
    f.metrics_stream = stream_figures(metrics_stream, metrics_ms);
    f.hosts_stream = stream_figures(hosts_stream, hosts_ms);
    f.host_page_ms = median(host_page_ms);
    return f;
}

void print_row(const Figures& f, const char* page, double ms, std::size_t bytes) {
    std::printf("| %u | %s | %.3f | %zu | %.2f |\n", f.hosts, page, ms, bytes, ms / f.round_ms);
}

void print_stream_row(const Figures& f, const char* page, const StreamFigures& s) {
    std::printf("| %u | %s | %zu | %.3f | %.3f | %.3f | %.3f | %.2f |\n", f.hosts, page, s.slices,
                s.first_ms, s.longest_ms, s.worst_ms, s.total_ms, s.ratio);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<unsigned> sizes = {1'000, 10'000, 100'000};
    unsigned trials = 5;
    CLI::App app{"Measures how long the HTTP port's pages hold the event loop, in beat rounds"};
    app.add_option("--hosts", sizes, "fleet sizes to measure")
        ->capture_default_str()
        ->check(CLI::Range(1u, 1'000'000u));
    app.add_option("--trials", trials)->capture_default_str()->check(CLI::Range(1u, 99u));
    CLI11_PARSE(app, argc, argv);
    const std::int64_t start_ns = now_ns();
    beat::set_log_level(beat::LogLevel::error);  // 5% of 100,000 hosts going silent is 5,000 lines.

    std::printf(
        "metrics per host=%zu, datagram bytes=%zu, 1 host in %u silent, trials=%u "
        "(medians)\n\n",
        kAgentMetrics.size(), beat_of(0, 0).size(), kSilentEvery, trials);
    std::printf("| Hosts | Page | ms | Bytes | Beat rounds |\n|---|---|---|---|---|\n");
    std::vector<Figures> all;
    for (unsigned hosts : sizes) {
        const Figures f = measure(hosts, trials);
        std::printf("| %u | beat round (%.0f ns a beat, %zu silent) | %.3f | | 1.00 |\n", f.hosts,
                    f.round_ms * 1e6 / hosts, f.silent, f.round_ms);
        print_row(f, "GET /metrics", f.metrics_ms, f.metrics_bytes);
        print_row(f, "GET /hosts", f.hosts_ms, f.hosts_bytes);
        print_row(f, "GET /", f.status_ms, f.status_bytes);
        print_row(f, "GET /hosts/<name>", f.host_ms, f.host_bytes);
        print_row(f, "GET /host/<name>?range=7d", f.host_page_ms, f.host_page_bytes);
        std::fflush(stdout);
        all.push_back(f);
    }
    std::printf(
        "\nStreamed in 64 KiB slices (ms; first: the page's head; longest "
        "other: median of each trial's longest slice after the first, worst: the longest of any "
        "trial; whole: every slice; ratio: whole over the one-shot render of the same "
        "trial)\n\n");
    std::printf(
        "| Hosts | Page | Slices | First slice | Longest other | Worst other | Whole page | Ratio "
        "to one-shot |\n|---|---|---|---|---|---|---|---|\n");
    for (const Figures& f : all) {
        print_stream_row(f, "GET /metrics", f.metrics_stream);
        print_stream_row(f, "GET /hosts", f.hosts_stream);
    }
    // Time lost to other processes stretches every figure of a run alike but not evenly.
    std::printf("\nwaited for a CPU: %.2f s of %.2f s\n", beat::bench::runqueue_wait_seconds(),
                double(now_ns() - start_ns) / 1e9);
    return 0;
}
