// The server's core as the HTTP pages read it: a monitor and a put/get executor over one store,
// fed real heartbeat datagrams and request lines, and the status view over them. Shared by the
// tests of the renderers (/hosts, /metrics, the status page).
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "beat_server/core/pages/server_status.hpp"
#include "beat_server/core/query/executor.hpp"
#include "beat_server/core/report/log_reporter.hpp"
#include "tests/plans_example.hpp"

namespace beat::test {

// Unix ms when the monitor's clock is 0: 2023-11-14 22:13:20 UTC.
inline constexpr std::int64_t kUnixAtZero = 1'700'000'000'000;

// The version the fixture's status view reports, unlike any real release.
inline constexpr std::string_view kStatusVersion = "9.8.7";

// A monitor configuration with the phi detector and its default settings.
inline MonitorConfig phi_detector() {
    MonitorConfig config;
    config.detector.kind = DetectorKind::phi;
    return config;
}

struct StatusFixture {
    // Every beat comes from 192.0.2.7:5000. `limits` bounds the store the monitor and the
    // executor share.
    explicit StatusFixture(const MonitorConfig& config = {}, const RetentionLimits& limits = {})
        : store(limits), monitor(config, store, events) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(5000);
        inet_pton(AF_INET, "192.0.2.7", &a.sin_addr);
        from = SourceAddress(reinterpret_cast<const sockaddr*>(&a));
    }

    // One beat of `host` (incarnation 1, advertising `interval_ms` and `plan_version`, sent when
    // it arrives) reaching the monitor at its time `now_ms`.
    void beat(const std::string& host, std::uint64_t seq, std::int64_t now_ms,
              std::vector<Metric> metrics = {}) {
        Heartbeat hb;
        hb.host = host;
        hb.incarnation = 1;
        hb.sequence = seq;
        hb.send_time_ms = kUnixAtZero + now_ms;
        hb.interval_ms = interval_ms;
        hb.plan_version = plan_version;
        hb.metrics = std::move(metrics);
        monitor.on_datagram(pack_beat(hb).at(0), from, now_ms, kUnixAtZero + now_ms);
    }

    // Beats 1 to `count` of `host`, `every_ms` apart from monitor time 0.
    void beats(const std::string& host, std::uint64_t count, std::int64_t every_ms) {
        for (std::uint64_t i = 0; i < count; ++i)
            beat(host, i + 1, static_cast<std::int64_t>(i) * every_ms);
    }

    // Runs one put/get request line through the executor; its reply is dropped.
    void request(std::string_view line) {
        std::string reply;
        executor.execute(parse_request(line), reply, kUnixAtZero / 1000);
    }

    // The status view at monitor time `now_ms`, reporting kStatusVersion and no process figures.
    StatusView view(std::int64_t now_ms) const {
        StatusView v(monitor, store, executor.stats());
        v.now_ms = now_ms;
        v.now_unix_ms = kUnixAtZero + now_ms;
        v.version = kStatusVersion;
        return v;
    }

    std::uint32_t interval_ms = 1000;  // The interval the next beats advertise.
    std::uint32_t plan_version = 0;    // The plan the next beats say their agent runs.
    Store store;
    LogReporter events;
    Monitor monitor;
    Executor executor{store};
    SourceAddress from;
};

}  // namespace beat::test
