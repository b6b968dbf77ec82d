#include <catch2/catch.hpp>

#include <map>

#include "beat_client/core/beat_builder.hpp"
#include "common/wire.hpp"
#include "sample_files.hpp"

using namespace beat;

namespace {

CollectorSet all_collectors() {
    CollectorSet s;
    for (Collector c : kAllCollectors)
        s.add(c);
    return s;
}

CollectorSet only(Collector c) {
    CollectorSet s;
    s.add(c);
    return s;
}

std::map<std::string, double> build(BeatBuilder& b, const Sample& s, CollectorSet due,
                                    std::int64_t now_ms) {
    std::vector<Metric> metrics;
    MetricWriter w(metrics);
    b.build(s, due, now_ms, w);
    w.finish();
    std::map<std::string, double> out;
    for (const Metric& m : metrics) {
        CHECK(out.count(m.name) == 0);
        out[m.name] = m.value;
    }
    return out;
}

Sample full_sample() {
    Sample s;
    s.stat = ProcStat{};
    s.stat->cpu.user = 100;
    s.stat->cpu.idle = 900;
    s.stat->interrupts = 5000;
    s.stat->context_switches = 7000;
    s.mem = MemInfo{1000, 250, 400, 100};
    s.load = LoadAvg{0.5, 0.25, 0.125};
    s.uptime_s = 3600.5;
    s.disks_read = true;
    s.disks = {{"/", 42.5}, {"/mnt/backup disk", 10}};
    s.net_read = true;
    s.net = {{"eth0", 1000, 2000}};
    s.rss_bytes = 3 << 20;
    return s;
}

}  // namespace

TEST_CASE("the first beat has every metric except the rates, which need two samples",
          "[beat_builder]") {
    BeatBuilder b;
    const auto m = build(b, full_sample(), all_collectors(), 0);
    CHECK(m.count("cpu") == 0);
    CHECK(m.count("net.eth0.rx_bps") == 0);
    CHECK(m.at("mem.used_pct") == 75.0);
    CHECK(m.at("mem.avail_bytes") == 250.0);
    CHECK(m.at("swap.used_pct") == 75.0);
    CHECK(m.at("load.1") == 0.5);
    CHECK(m.at("load.5") == 0.25);
    CHECK(m.at("load.15") == 0.125);
    CHECK(m.at("intr") == 5000.0);
    CHECK(m.at("ctxt") == 7000.0);
    CHECK(m.at("uptime") == 3600.5);
    CHECK(m.at("disk./.used_pct") == 42.5);
    CHECK(m.at("disk./mnt/backup_disk.used_pct") == 10.0);
    CHECK(m.at("agent.rss_bytes") == double(3 << 20));
    CHECK(m.size() == 12);
}

TEST_CASE("the second beat adds cpu use and network bytes per second over the elapsed time",
          "[beat_builder]") {
    BeatBuilder b;
    Sample s = full_sample();
    build(b, s, all_collectors(), 10'000);
    s.stat->cpu.user += 25;
    s.stat->cpu.idle += 75;
    s.net[0].rx_bytes += 5000;
    s.net[0].tx_bytes += 500;
    const auto m = build(b, s, all_collectors(), 12'000);
    CHECK(m.at("cpu") == Approx(25.0));
    CHECK(m.at("net.eth0.rx_bps") == Approx(2500.0));
    CHECK(m.at("net.eth0.tx_bps") == Approx(250.0));
}

TEST_CASE("collectors that are not due contribute nothing, even when data was read",
          "[beat_builder]") {
    BeatBuilder b;
    const auto m = build(b, full_sample(), only(Collector::load), 0);
    CHECK(m.size() == 3);
    CHECK(m.count("load.1") == 1);
}

TEST_CASE("a collector whose source failed is left out and the others still go", "[beat_builder]") {
    BeatBuilder b;
    Sample s = full_sample();
    s.mem.reset();
    s.disks_read = false;
    const auto m = build(b, s, all_collectors(), 0);
    CHECK(m.count("mem.used_pct") == 0);
    CHECK(m.count("disk./.used_pct") == 0);
    CHECK(m.count("load.1") == 1);
}

TEST_CASE("cpu use covers the period since the cpu collector last ran, not since the last beat",
          "[beat_builder]") {
    BeatBuilder b;
    Sample s = full_sample();
    build(b, s, all_collectors(), 0);
    // A beat where only the kernel collector runs reads /proc/stat but must not move the cpu
    // baseline.
    s.stat->cpu.user += 100;
    s.stat->cpu.idle += 100;
    build(b, s, only(Collector::kernel), 1000);
    s.stat->cpu.idle += 200;
    const auto m = build(b, s, only(Collector::cpu), 2000);
    CHECK(m.at("cpu") == Approx(25.0));
}

TEST_CASE("an interface that appears or whose counters reset gets no rate until the next beat",
          "[beat_builder]") {
    BeatBuilder b;
    Sample s = full_sample();
    build(b, s, only(Collector::net), 0);
    s.net = {{"eth0", 10, 20}, {"wg0", 5, 5}};
    auto m = build(b, s, only(Collector::net), 1000);
    CHECK(m.empty());
    s.net[0].rx_bytes += 100;
    s.net[1].rx_bytes += 100;
    m = build(b, s, only(Collector::net), 2000);
    CHECK(m.at("net.eth0.rx_bps") == Approx(100.0));
    CHECK(m.at("net.wg0.rx_bps") == Approx(100.0));
}

TEST_CASE("a metric whose name would be invalid on the wire is left out", "[beat_builder]") {
    BeatBuilder b;
    Sample s;
    s.disks_read = true;
    s.disks = {{std::string(300, 'x'), 1}, {"/ok", 2}, {"/bad\xff", 3}};
    const auto m = build(b, s, only(Collector::disk), 0);
    CHECK(m.size() == 1);
    CHECK(m.count("disk./ok.used_pct") == 1);
}

TEST_CASE("a beat from a node with hundreds of interfaces is split into datagrams that all fit",
          "[beat_builder]") {
    BeatBuilder b;
    Sample s;
    s.net_read = true;
    for (int i = 0; i < 400; ++i)
        s.net.push_back({"veth" + std::to_string(100000 + i), 0, 0});
    build(b, s, only(Collector::net), 0);
    Heartbeat hb;
    hb.host = "node-with-many-containers";
    hb.incarnation = 9;
    hb.sequence = 2;
    {
        MetricWriter w(hb.metrics);
        b.build(s, only(Collector::net), 1000, w);
        w.finish();
    }
    REQUIRE(hb.metrics.size() == 800);
    std::size_t skipped = 99;
    const auto datagrams = pack_beat(hb, 0, &skipped);
    CHECK(skipped == 0);
    CHECK(datagrams.size() > 1);
    std::size_t total = 0;
    for (std::size_t i = 0; i < datagrams.size(); ++i) {
        CHECK(datagrams[i].size() <= kMaxDatagram);
        HeartbeatView v;
        REQUIRE(decode_heartbeat(datagrams[i], v) == DecodeError::ok);
        CHECK(v.sequence == 2);
        CHECK(v.part == i);
        CHECK(v.parts == datagrams.size());
        total += v.metric_count;
    }
    CHECK(total == 800);
}

TEST_CASE("a writer reuses the metric vector from beat to beat and drops what was not rewritten",
          "[beat_builder]") {
    std::vector<Metric> metrics;
    {
        MetricWriter w(metrics);
        w.add(1, "a.", "long_enough_to_leave_small_string_storage");
        w.add(2, "b");
        w.finish();
    }
    const char* storage = metrics[0].name.data();
    {
        MetricWriter w(metrics);
        w.add(3, "a.", "long_enough_to_leave_small_string_storage");
        w.finish();
    }
    REQUIRE(metrics.size() == 1);
    CHECK(metrics[0].value == 3);
    CHECK(metrics[0].name.data() == storage);
}

TEST_CASE("name parts lose the blanks and control characters a metric name cannot hold",
          "[beat_builder]") {
    std::string out = "disk.";
    append_name_part("/mnt/a b\tc\x7f", out);
    CHECK(out == "disk./mnt/a_b_c_");
}

TEST_CASE("percentages and rates are sent with two decimals", "[beat_builder]") {
    BeatBuilder b;
    Sample s;
    s.mem = MemInfo{3000, 1000, 0, 0};
    s.disks_read = true;
    s.disks = {{"/", 12.345678}};
    const auto m = build(b, s, all_collectors(), 0);
    CHECK(m.at("mem.used_pct") == 66.67);
    CHECK(m.at("disk./.used_pct") == 12.35);
}

TEST_CASE("the agent collector sends the servers not acknowledging when the sender set them",
          "[beat_builder]") {
    BeatBuilder b;
    Sample s = full_sample();
    CHECK(build(b, s, only(Collector::agent), 0).count("agent.servers_unacked") == 0);
    s.servers_unacked = 2;
    CHECK(build(b, s, only(Collector::agent), 0).at("agent.servers_unacked") == 2.0);
    CHECK(build(b, s, only(Collector::mem), 0).count("agent.servers_unacked") == 0);
    s.clear();
    CHECK_FALSE(s.servers_unacked);
}
