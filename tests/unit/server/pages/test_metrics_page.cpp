#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <limits>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "beat_server/core/pages/metrics_page.hpp"
#include "tests/unit/server/pages/body_reader.hpp"
#include "tests/unit/server/pages/status_fixture.hpp"

using namespace beat;
using namespace beat::test;

namespace {

// The fixture with a store of 3 keys, rendering /metrics with the given process figures.
struct Server : StatusFixture {
    explicit Server(const MonitorConfig& config = {})
        : StatusFixture(config, RetentionLimits{0, 0, 3}) {}
    std::string page(std::int64_t now_ms, const ProcessStatus& process = {}) const {
        StatusView v = view(now_ms);
        v.read_process = [process] { return process; };
        return render_metrics(v);
    }
};

std::vector<std::string> lines_of(const std::string& page) {
    std::vector<std::string> lines;
    std::istringstream in(page);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

bool has_line(const std::string& page, const std::string& line) {
    return page.starts_with(line + "\n") || page.find("\n" + line + "\n") != std::string::npos;
}

std::size_t count_prefix(const std::string& page, const std::string& prefix) {
    std::size_t n = 0;
    for (const std::string& line : lines_of(page))
        n += line.starts_with(prefix) ? 1 : 0;
    return n;
}

}  // namespace

TEST_CASE("a live host reads beat_host_up 1 and a host past its timeout reads 0",
          "[metrics_page]") {
    Server s;
    s.beat("palm", 1, 0);
    s.beat("oak", 1, 0);
    s.beat("palm", 2, 1000);
    s.beat("palm", 3, 2000);
    const std::string before = s.page(2000);
    CHECK(has_line(before, "beat_host_up{host=\"oak\"} 1"));
    CHECK(has_line(before, "beat_host_up{host=\"palm\"} 1"));

    s.monitor.expire(3000);  // oak's timeout is 3 x its 1 s interval.
    const std::string after = s.page(3000);
    CHECK(has_line(after, "beat_host_up{host=\"oak\"} 0"));
    CHECK(has_line(after, "beat_host_up{host=\"palm\"} 1"));
    CHECK(has_line(after, "beat_hosts{state=\"up\"} 1"));
    CHECK(has_line(after, "beat_hosts{state=\"silent\"} 1"));
    CHECK(has_line(after, "beat_registry_hosts 2"));
    CHECK(has_line(after, "beat_host_beats_total{host=\"palm\"} 3"));
    CHECK(has_line(after, "beat_host_last_seen_timestamp_seconds{host=\"palm\"} 1700000002.0"));
    CHECK(has_line(after, "beat_host_interval_seconds{host=\"oak\"} 1.0"));
}

TEST_CASE(
    "each host's next beat is expected one interval after it was heard, in the past once "
    "overdue",
    "[metrics_page]") {
    Server s;
    s.beat("oak", 1, 0);
    s.interval_ms = 5000;
    s.beat("palm", 1, 2000);
    const std::string page = s.page(2500);
    CHECK(has_line(page, "# TYPE beat_host_next_beat_timestamp_seconds gauge"));
    CHECK(has_line(page,
                   "# HELP beat_host_next_beat_timestamp_seconds Unix time when the failure "
                   "detector expects the host's next beat (in the past once it is overdue)."));
    CHECK(has_line(page, "beat_host_next_beat_timestamp_seconds{host=\"oak\"} 1700000001.0"));
    CHECK(has_line(page, "beat_host_next_beat_timestamp_seconds{host=\"palm\"} 1700000007.0"));
}

TEST_CASE("a PyHeartBeat host has no loss samples: its beats are not numbered, so loss is unknown",
          "[metrics_page]") {
    Server s;
    s.beat("palm", 1, 0);
    s.monitor.on_datagram("PyHB", s.from, 0, kUnixAtZero);
    s.monitor.on_datagram("PyHB", s.from, 5000, kUnixAtZero + 5000);
    const std::string page = s.page(5000);
    CHECK(has_line(page, "beat_host_beats_total{host=\"192.0.2.7\"} 2"));
    CHECK(has_line(page, "beat_host_beats_lost_total{host=\"palm\"} 0"));
    CHECK(page.find("beat_host_beats_lost_total{host=\"192.0.2.7\"}") == std::string::npos);
    CHECK(page.find("beat_host_loss_ratio{host=\"192.0.2.7\"}") == std::string::npos);
    CHECK(page.find("beat_host_loss_ratio{host=\"palm\"}") != std::string::npos);
}

TEST_CASE("hosts are listed by name and their latest metric values are beat_metric samples",
          "[metrics_page]") {
    Server s;
    s.beat("palm", 1, 0, {{"cpu", 12.0}});
    s.beat("palm", 2, 1000, {{"cpu", 23.7}, {"load1", 0.25}});
    s.beat("birch", 1, 1000, {{"cpu", 1e-7}});
    const std::string page = s.page(1000);
    CHECK(has_line(page, "beat_metric{host=\"palm\",name=\"cpu\"} 23.7"));
    CHECK(has_line(page, "beat_metric{host=\"palm\",name=\"load1\"} 0.25"));
    CHECK(has_line(page, "beat_metric{host=\"birch\",name=\"cpu\"} 1e-07"));
    CHECK(page.find("beat_host_up{host=\"birch\"}") < page.find("beat_host_up{host=\"palm\"}"));
}

TEST_CASE("a host name holding a double quote and a backslash is escaped in every label",
          "[metrics_page]") {
    Server s;
    s.beat("we\"b\\1", 1, 0, {{"disk\\\"x", 5.0}});
    const std::string page = s.page(0);
    CHECK(has_line(page, "beat_host_up{host=\"we\\\"b\\\\1\"} 1"));
    CHECK(has_line(page, "beat_metric{host=\"we\\\"b\\\\1\",name=\"disk\\\\\\\"x\"} 5.0"));
}

TEST_CASE("every family appears once with HELP then TYPE before its samples", "[metrics_page]") {
    Server s;
    s.beat("palm", 1, 0, {{"cpu", 1.0}});
    s.beat("oak", 1, 0, {{"cpu", 2.0}});
    ProcessStatus process;
    process.cpu_seconds = 1.5;
    process.open_fds = 9;
    const std::vector<std::string> lines = lines_of(s.page(500, process));
    std::set<std::string> families;
    std::string current;
    enum { help, type, samples } expect = help;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        CAPTURE(i, line);
        if (line.starts_with("# HELP ")) {
            current = line.substr(7, line.find(' ', 7) - 7);
            CHECK(families.insert(current).second);
            expect = type;
        } else if (line.starts_with("# TYPE ")) {
            CHECK(expect == type);
            CHECK(line.substr(7, line.find(' ', 7) - 7) == current);
            expect = samples;
        } else {
            CHECK(expect == samples);
            CHECK(line.substr(0, line.find_first_of("{ ")) == current);
        }
    }
    for (const char* f : {"beat_build_info",
                          "beat_host_up",
                          "beat_host_flapping",
                          "beat_host_last_seen_timestamp_seconds",
                          "beat_host_next_beat_timestamp_seconds",
                          "beat_host_beats_total",
                          "beat_host_beats_lost_total",
                          "beat_host_restarts_total",
                          "beat_host_interval_seconds",
                          "beat_host_loss_ratio",
                          "beat_metric",
                          "beat_datagrams_received_total",
                          "beat_datagrams_rejected_total",
                          "beat_datagrams_refused_total",
                          "beat_hosts",
                          "beat_acks_sent_total",
                          "beat_probes_sent_total",
                          "beat_probes_over_budget_total",
                          "beat_probe_answers_total",
                          "beat_udp_sends_failed_total",
                          "beat_server_stalls_total",
                          "beat_hosts_judged",
                          "beat_plans_sent_total",
                          "beat_plans_held_total",
                          "beat_hosts_plan",
                          "beat_store_keys",
                          "beat_tcp_requests_total",
                          "beat_storage_commits_total",
                          "beat_http_responses_total",
                          "process_cpu_seconds_total",
                          "process_open_fds"}) {
        CAPTURE(f);
        CHECK(families.contains(f));
    }
    CHECK_FALSE(families.contains("process_max_fds"));  // Unset: left out.
    CHECK_FALSE(families.contains("beat_host_phi"));    // Only with the phi detector.
}

TEST_CASE("every rejection and refusal reason is listed from the start", "[metrics_page]") {
    Server s;
    const std::string fresh = s.page(0);
    CHECK(count_prefix(fresh, "beat_datagrams_rejected_total{") == kDecodeErrorCount - 1);
    CHECK(count_prefix(fresh, "beat_datagrams_refused_total{") == kRefusalCount);
    CHECK(has_line(fresh, "beat_datagrams_rejected_total{reason=\"bad_magic\"} 0"));
    CHECK(has_line(fresh, "beat_datagrams_refused_total{reason=\"host_limit\"} 0"));

    s.monitor.on_datagram("NOPE and more bytes than a header takes, surely", s.from, 0,
                          kUnixAtZero);
    const std::string page = s.page(0);
    CHECK(has_line(page, "beat_datagrams_received_total 1"));
    CHECK(has_line(page, "beat_datagrams_rejected_total{reason=\"bad_magic\"} 1"));
    CHECK(has_line(page, "beat_build_info{version=\"9.8.7\"} 1"));
}

TEST_CASE("metric values beyond a host's name limit are counted in all and by host",
          "[metrics_page]") {
    MonitorConfig config;
    config.max_metrics_per_host = 2;
    Server s(config);
    const std::string fresh = s.page(0);
    CHECK(has_line(fresh, "beat_metric_values_total{result=\"host_limit\"} 0"));
    CHECK(has_line(fresh, "beat_metric_names_released_total 0"));

    s.beat("palm", 1, 0, {{"cpu", 1.0}, {"mem", 2.0}, {"new.1", 3.0}});
    s.beat("palm", 2, 1000, {{"cpu", 1.0}, {"new.2", 3.0}, {"new.3", 3.0}});
    s.beat("oak", 1, 1000, {{"cpu", 1.0}});
    const std::string page = s.page(1000);
    CHECK(has_line(page, "beat_metric_values_total{result=\"host_limit\"} 3"));
    CHECK(has_line(page, "beat_metric_values_total{result=\"stored\"} 4"));
    CHECK(has_line(page, "# TYPE beat_host_metric_values_refused_total counter"));
    CHECK(has_line(page, "beat_host_metric_values_refused_total{host=\"palm\"} 3"));
    CHECK(has_line(page, "beat_host_metric_values_refused_total{host=\"oak\"} 0"));
    CHECK(has_line(page, "# TYPE beat_host_metric_names gauge"));
    CHECK(has_line(page, "beat_host_metric_names{host=\"palm\"} 2"));
    CHECK(has_line(page, "beat_host_metric_names{host=\"oak\"} 1"));
    CHECK(page.find("name=\"new.1\"") == std::string::npos);
}

TEST_CASE("TCP requests are counted by command and result as the executor answered them",
          "[metrics_page]") {
    Server s;  // The store takes 3 keys.
    s.request("put a 1 100");
    s.request("put b 2 100");
    s.request("put c 3 100");
    s.request("put d 4 100");  // A fourth key: refused.
    s.request("get a");
    s.request("get *");
    s.request("put a x 100");
    s.request("bogus");
    const std::string page = s.page(0);
    CHECK(has_line(page, "beat_tcp_requests_total{command=\"put\",result=\"ok\"} 3"));
    CHECK(has_line(page, "beat_tcp_requests_total{command=\"put\",result=\"key_limit\"} 1"));
    CHECK(has_line(page, "beat_tcp_requests_total{command=\"get\",result=\"ok\"} 1"));
    CHECK(has_line(page, "beat_tcp_requests_total{command=\"get_all\",result=\"ok\"} 1"));
    CHECK(has_line(page, "beat_tcp_requests_total{command=\"invalid\",result=\"bad_value\"} 1"));
    CHECK(has_line(page, "beat_tcp_requests_total{command=\"invalid\",result=\"bad_syntax\"} 1"));
    CHECK(count_prefix(page, "beat_tcp_requests_total{command=\"invalid\"") ==
          kRequestErrorCount);  // Every reason, and too_long.
    CHECK(has_line(page, "beat_store_keys 3"));
}

TEST_CASE("the phi detector adds each host's phi", "[metrics_page]") {
    Server s(phi_detector());
    s.beats("palm", 2, 1000);
    const std::string page = s.page(1500);
    CHECK(count_prefix(page, "# TYPE beat_host_phi gauge") == 1);
    CHECK(count_prefix(page, "beat_host_phi{host=\"palm\"} ") == 1);
}

TEST_CASE("the two-way channel's counters, the loop's stalls and the hosts by detector are listed",
          "[metrics_page]") {
    Server s;
    s.beat("palm", 1, 0);
    s.monitor.server_stalled(400, 300);
    StatusView v = s.view(500);
    v.udp_sends_failed = 3;
    const std::string page = render_metrics(v);
    CHECK(has_line(page, "beat_acks_sent_total 0"));
    CHECK(has_line(page, "beat_probes_sent_total 0"));
    CHECK(has_line(page, "beat_probes_over_budget_total 0"));
    for (const char* result : {"matched", "stale", "refused"})
        CHECK(has_line(page, fmt::format("beat_probe_answers_total{{result=\"{}\"}} 0", result)));
    CHECK(has_line(page, "beat_udp_sends_failed_total 3"));
    CHECK(has_line(page, "beat_server_stalls_total 1"));
    CHECK(has_line(page, "beat_hosts_judged{by=\"fixed\"} 1"));
    const Liveness& liveness = s.monitor.liveness();
    for (const JudgedBy j : {JudgedBy::fixed, JudgedBy::phi, JudgedBy::probe}) {
        CHECK(has_line(page, fmt::format("beat_hosts_judged{{by=\"{}\"}} {}", to_string(j),
                                         liveness.judged_count(j))));
    }
}

TEST_CASE("the probe detector adds each host's phi, by which it judges hosts that do not answer",
          "[metrics_page]") {
    MonitorConfig config;
    config.detector.kind = DetectorKind::probe;
    Server s(config);
    s.beats("palm", 2, 1000);
    CHECK(count_prefix(s.page(1500), "# TYPE beat_host_phi gauge") == 1);
}

TEST_CASE("process figures keep Prometheus' standard names", "[metrics_page]") {
    Server s;
    ProcessStatus p;
    p.cpu_seconds = 0.25;
    p.resident_bytes = 8'388'608;
    p.virtual_bytes = 1e9;
    p.start_time_seconds = 1'700'000'000.5;
    p.open_fds = 12;
    p.max_fds = 1024;
    const std::string page = s.page(0, p);
    CHECK(has_line(page, "# TYPE process_cpu_seconds_total counter"));
    CHECK(has_line(page, "process_cpu_seconds_total 0.25"));
    CHECK(has_line(page, "process_resident_memory_bytes 8388608.0"));
    CHECK(has_line(page, "process_virtual_memory_bytes 1000000000.0"));
    CHECK(has_line(page, "process_start_time_seconds 1700000000.5"));
    CHECK(has_line(page, "process_open_fds 12.0"));
    CHECK(has_line(page, "process_max_fds 1024.0"));
}

TEST_CASE("plans sent and held are counted, and hosts by whether their agent runs their plan",
          "[metrics_page]") {
    Server s;
    s.beat("web1", 1, 0);
    s.beat("db-1", 1, 0);
    CHECK(has_line(s.page(0), "beat_plans_sent_total 0"));
    CHECK(has_line(s.page(0), "beat_plans_held_total 0"));
    CHECK(has_line(s.page(0), "beat_hosts_plan{state=\"current\"} 2"));
    CHECK(has_line(s.page(0), "beat_hosts_plan{state=\"pending\"} 0"));

    s.monitor.set_plans(std::make_shared<const PlanBook>(PlanBook::parse(kExamplePlans, "p")));
    s.plan_version = s.monitor.plans()->find("db")->version;
    s.beat("db-1", 2, 1000);
    const std::string page = s.page(1000);
    CHECK(has_line(page, "beat_hosts_plan{state=\"current\"} 1"));
    CHECK(has_line(page, "beat_hosts_plan{state=\"pending\"} 1"));  // web1: default, not run.
}

TEST_CASE("the PostgreSQL sink's figures are listed only when it is on, its last error as a label",
          "[metrics_page]") {
    Server s;
    StatusView v = s.view(0);
    CHECK(render_metrics(v).find("beat_postgres_") == std::string::npos);
    v.postgres = PostgresStatus{true, true, 12, 3000, 3, 1, 1, 5, "connect: \"db\" away"};
    const std::string page = render_metrics(v);
    CHECK(has_line(page, "beat_postgres_connected 1"));
    CHECK(has_line(page, "beat_postgres_waiting_points 12"));
    CHECK(has_line(page, "beat_postgres_rows_written_total 3000"));
    CHECK(has_line(page, "beat_postgres_batches_total 3"));
    CHECK(has_line(page, "beat_postgres_failures_total 1"));
    CHECK(has_line(page, "beat_postgres_reconnects_total 1"));
    CHECK(has_line(page, "beat_postgres_dropped_points_total 5"));
    CHECK(has_line(page, R"(beat_postgres_last_error_info{error="connect: \"db\" away"} 1)"));
}

TEST_CASE("the streamed page of an unchanged fleet is render_metrics' page byte for byte",
          "[metrics_page]") {
    StatusFixture f(phi_detector());
    // More hosts than one sorted run of the page's order, names to escape, a silent host in 7.
    for (int i = 0; i < 2500; ++i) {
        const std::string name =
            fmt::format("host-{:04}{}", i * 7919 % 2500, i % 400 ? "" : "\"q\\b");
        f.beat(name, 1, 0, {{"cpu", i * 0.25}, {"mem.used_pct", 40.5}, {"x\"y", 1e21}});
        if (i % 7 != 0) f.beat(name, 2, 2500, {{"cpu", i * 0.5}});
    }
    f.monitor.expire(3500);
    StatusView view = f.view(3600);
    ProcessStatus process;
    process.cpu_seconds = 2.5;
    view.read_process = [process] { return process; };
    const std::string whole = render_metrics(view);
    CHECK(count_prefix(whole, "beat_host_up{") == 2500);
    CHECK(count_prefix(whole, "beat_host_phi{") > 0);
    for (const std::size_t budget :
         {std::size_t{0}, std::size_t{1}, std::size_t{1000}, std::size_t{1} << 16,
          std::numeric_limits<std::size_t>::max()}) {
        CAPTURE(budget);
        CHECK(read_body(*stream_metrics(view), budget) == whole);
    }
    // Each slice holds about its budget: a host's samples of a family whole, so a little more.
    // The last slice is the fleet-wide lines, written at the start.
    const std::vector<std::string> slices =
        read_slices(*stream_metrics(view), 4096, [](std::size_t) {});
    for (std::size_t i = 0; i + 1 < slices.size(); ++i) {
        CAPTURE(i);
        CHECK(slices[i].size() <= 4096 + 512);
    }
}

TEST_CASE(
    "a host forgotten while /metrics is written is not listed after, nor one added, and "
    "the fleet-wide lines are of the start",
    "[metrics_page]") {
    MonitorConfig config;
    config.forget_after_ms = 1000;
    StatusFixture f(config);
    for (int i = 0; i < 10; ++i)
        f.beat(fmt::format("h{}", i), 1, 0, {{"cpu", 1.0}});
    for (int i = 0; i < 10; ++i)
        if (i != 7) f.beat(fmt::format("h{}", i), 2, 2500, {{"cpu", 2.0}});
    f.monitor.expire(3500);  // h7 goes silent.
    const StatusView view = f.view(3600);
    auto stream = stream_metrics(view);
    std::string page;
    std::size_t removed_at = 0;
    while (!stream->write(page, 1)) {
        // Once the second family has begun: h7 is forgotten, and two hosts are new.
        if (removed_at == 0 && page.find("beat_host_flapping{host=\"h2\"}") != std::string::npos) {
            f.beat("new1", 1, 4100);
            f.beat("new2", 1, 4100);
            f.request("put other 1");
            f.monitor.report(4100);
            REQUIRE(f.monitor.registry().find("h7") == nullptr);
            removed_at = page.size();
        }
    }
    REQUIRE(removed_at > 0);
    CHECK(has_line(page, "beat_host_up{host=\"h7\"} 0"));  // Listed before it was forgotten.
    CHECK(page.find("host=\"h7\"", removed_at) == std::string::npos);
    CHECK(page.find("new1") == std::string::npos);
    CHECK(count_prefix(page, "beat_host_up{") == 10);
    CHECK(count_prefix(page, "beat_host_flapping{") == 9);  // h7 came after the removal.
    CHECK(count_prefix(page, "beat_host_beats_total{") == 9);
    CHECK(count_prefix(page, "beat_metric{") == 9);
    // Each host's line once in each family.
    const std::vector<std::string> lines = lines_of(page);
    std::set<std::string> series;
    for (const std::string& line : lines)
        if (!line.starts_with("#")) CHECK(series.insert(line.substr(0, line.find("} "))).second);
    // Counted as the fleet was when the page began: 10 hosts, h7 silent; no put yet.
    CHECK(has_line(page, "beat_registry_hosts 10"));
    CHECK(has_line(page, "beat_hosts{state=\"silent\"} 1"));
    CHECK(has_line(page, "beat_tcp_requests_total{command=\"put\",result=\"ok\"} 0"));
    CHECK(f.monitor.registry().size() == 11);
}
