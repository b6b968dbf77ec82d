// retention_bench: runs the monitor and the store's retention at an accelerated clock (days of
// heartbeats in seconds, no sockets, no sleeping) and reports the heap in use per stored point
// and per host as simulated time goes by, to show that memory stays flat once the retention
// window is full.
//
// Every simulated host beats every --interval seconds with --metrics metrics; the retention
// sweep runs every simulated second with the server's budget (100,000 keys). Prints one line per
// --report-every simulated hours:
//   "day=D hosts=H keys=K points=P heap_mib=M bytes_per_point=B bytes_per_host=B"
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "beat_server/core/ingest/monitor.hpp"
#include "common/wire.hpp"

namespace {

// The monitor wants a sink; the benchmark ignores the events.
struct NullSink final : beat::EventSink {
    void on_event(const beat::Event&) override {}
};

// Bytes allocated and not freed, including the large blocks malloc maps on their own.
std::size_t heap_in_use() {
    const struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

}  // namespace

int main(int argc, char** argv) {
    unsigned hosts = 100, metrics = 20, interval_s = 10;
    double days = 3, retention_days = 1, report_hours = 6;
    CLI::App app{
        "Runs the retention at an accelerated clock and reports memory per point and host"};
    app.add_option("--hosts", hosts, "simulated hosts")->capture_default_str();
    app.add_option("--metrics", metrics, "metrics per beat")->capture_default_str();
    app.add_option("--interval", interval_s, "seconds between beats")->capture_default_str();
    app.add_option("--days", days, "simulated days")->capture_default_str();
    app.add_option("--retention-days", retention_days, "--retention")->capture_default_str();
    app.add_option("--report-every", report_hours, "simulated hours between lines")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    const std::size_t heap_before = heap_in_use();
    beat::Store store(beat::RetentionLimits{static_cast<std::int64_t>(retention_days * 86'400),
                                            100'000, 1'000'000});
    NullSink sink;
    beat::Monitor monitor(beat::MonitorConfig{}, store, sink);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    from.sin_addr.s_addr = htonl(0x0a000001);
    const beat::SourceAddress source(reinterpret_cast<const sockaddr*>(&from));

    // One datagram per host, encoded once; each beat is re-encoded with its sequence and time.
    std::vector<beat::Heartbeat> beats(hosts);
    for (unsigned h = 0; h < hosts; ++h) {
        beats[h].host = "host-" + std::to_string(h);
        beats[h].incarnation = 1;
        beats[h].interval_ms = interval_s * 1000;
        for (unsigned m = 0; m < metrics; ++m)
            beats[h].metrics.push_back({"metric." + std::to_string(m), 0});
    }
    const std::int64_t start_s = 1'700'000'000;
    const auto end_s = start_s + static_cast<std::int64_t>(days * 86'400);
    const auto report_s = static_cast<std::int64_t>(report_hours * 3600);
    std::uint64_t seq = 0;
    for (std::int64_t now = start_s; now <= end_s; ++now) {
        if ((now - start_s) % interval_s == 0) {
            ++seq;
            for (auto& hb : beats) {
                hb.sequence = seq;
                hb.send_time_ms = now * 1000;
                for (auto& m : hb.metrics)
                    m.value = static_cast<double>(seq % 100);
                for (const std::string& d : beat::pack_beat(hb))
                    monitor.on_datagram(d, source, (now - start_s) * 1000, now * 1000);
            }
        }
        store.sweep(now, 100'000);
        if ((now - start_s) % report_s == 0 && now != start_s) {
            const double heap = static_cast<double>(heap_in_use() - heap_before);
            std::printf(
                "day=%.2f hosts=%zu keys=%zu points=%zu heap_mib=%.1f bytes_per_point=%.1f "
                "bytes_per_host=%.0f\n",
                static_cast<double>(now - start_s) / 86'400, monitor.registry().size(),
                store.key_count(), store.point_count(), heap / (1 << 20),
                heap / static_cast<double>(store.point_count()),
                heap / static_cast<double>(monitor.registry().size()));
            std::fflush(stdout);
        }
    }
    return 0;
}
