#include "beat_client/io/beat_source.hpp"

#include <fmt/core.h>

#include <cstring>

#include "common/auth_tag.hpp"
#include "common/log.hpp"

namespace beat {
namespace {

constexpr std::size_t kMaxMetricsFileBytes = 256 * 1024;

}  // namespace

BeatSource::BeatSource(const AgentConfig& cfg, std::uint64_t incarnation)
    : cfg_(cfg), collectors_(cfg.collectors) {
    hb_.host = cfg.host;
    hb_.incarnation = incarnation;
    hb_.interval_ms = static_cast<std::uint32_t>(cfg.interval_ms);
}

void BeatSource::prime(std::int64_t monotonic_ms) noexcept {
    try {
        const CollectorSet due = collectors_.due(0);
        sampler_.sample(due, sample_);
        MetricWriter w(hb_.metrics);
        builder_.build(sample_, due, monotonic_ms, w);
    } catch (const std::exception& e) {
        log_error("sampling failed: {}", e.what());
    }
}

const std::vector<std::string>& BeatSource::next(std::int64_t monotonic_ms, std::int64_t unix_ms,
                                                 std::span<const Metric> extra) noexcept {
    try {
        const CollectorSet due = collectors_.due(beat_index_++);
        sampler_.sample(due, sample_);
        sample_.servers_unacked = servers_unacked_;
        MetricWriter w(hb_.metrics);
        builder_.build(sample_, due, monotonic_ms, w);
        for (const Metric& m : cfg_.metrics)
            w.add(m.value, m.name);
        if (!cfg_.metrics_file.empty()) {
            read_metrics_file(false);
            for (const Metric& m : file_metrics_)
                w.add(m.value, m.name);
        }
        for (const Metric& m : extra)
            w.add(m.value, m.name);
        w.finish();
        ++hb_.sequence;
        hb_.send_time_ms = unix_ms;
        std::size_t skipped = 0;
        datagrams_ = pack_beat(hb_, cfg_.key ? kAuthTagLength : 0, &skipped);
        if (cfg_.key) {
            for (std::string& d : datagrams_)
                sign_datagram(d, *cfg_.key);
        }
        if (skipped > 0) log_debug("metrics left out of beat {}: {}", hb_.sequence, skipped);
    } catch (const std::exception& e) {
        log_error("beat {} could not be built: {}", hb_.sequence, e.what());
        datagrams_.clear();
    }
    return datagrams_;
}

void BeatSource::apply(const RunSettings& run) noexcept {
    collectors_ = run.collectors;
    hb_.interval_ms = static_cast<std::uint32_t>(run.interval_ms);
    hb_.plan_version = run.plan_version;
}

void BeatSource::reload_metrics_file() noexcept {
    if (cfg_.metrics_file.empty()) {
        log_info("SIGHUP: no metrics file configured");
        return;
    }
    read_metrics_file(true);
}

void BeatSource::read_metrics_file(bool verbose) noexcept {
    try {
        int error = 0;
        const auto text = file_reader_.read(cfg_.metrics_file.c_str(), error, kMaxMetricsFileBytes);
        std::string problem;
        MetricsFileReport report;
        if (text) {
            MetricWriter w(file_metrics_);
            report = parse_metrics_file(*text, w);
            w.finish();
            if (report.bad_lines > 0) {
                problem = fmt::format("{} bad line{} ({}), skipped", report.bad_lines,
                                      report.bad_lines == 1 ? "" : "s", report.first_error);
            }
        } else {
            // A file that is missing or unreadable contributes nothing, rather than stale values.
            file_metrics_.clear();
            problem = error == EFBIG ? fmt::format("larger than {} bytes", kMaxMetricsFileBytes)
                                     : std::string(std::strerror(error));
        }
        const bool was_failing = file_latch_.failing();
        if (problem.empty()) {
            file_latch_.succeed();
        } else {
            file_latch_.fail();
        }
        if (verbose) {
            log_info("metrics file read path={} metrics={}{}{}", cfg_.metrics_file, report.metrics,
                     problem.empty() ? "" : " problem=", problem);
        } else if (!problem.empty() && (!was_failing || problem != file_problem_)) {
            log_warn("metrics file path={} problem=\"{}\"", cfg_.metrics_file, problem);
        } else if (problem.empty() && was_failing) {
            log_info("metrics file ok again path={} metrics={}", cfg_.metrics_file, report.metrics);
        }
        file_problem_ = problem;
    } catch (const std::exception& e) {
        log_error("metrics file could not be read: {}", e.what());
    }
}

}  // namespace beat
