// Produces the agent's beats: samples the collectors due, reads the metrics file, and encodes the
// result into datagrams. Shared by `run` (on a timer) and `once`.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "beat_client/core/beat_builder.hpp"
#include "beat_client/core/config.hpp"
#include "beat_client/core/extra_metrics.hpp"
#include "beat_client/core/failure_latch.hpp"
#include "beat_client/core/run_settings.hpp"
#include "beat_client/io/file_reader.hpp"
#include "beat_client/io/sampler.hpp"
#include "common/wire.hpp"

namespace beat {

class BeatSource {
  public:
    // `cfg.host` must already be set and valid.
    BeatSource(const AgentConfig& cfg, std::uint64_t incarnation);

    // Samples every collector that runs in the first beat, so that its rates (cpu, net) have a
    // baseline, without producing a beat.
    void prime(std::int64_t monotonic_ms) noexcept;

    // Builds the next beat (sequence numbers start at 1), with `extra` (the plugins' metrics)
    // after the collectors' and the node's own metrics, and returns its datagrams, valid until
    // the next call. Never throws: a beat that cannot be encoded is logged and comes out empty.
    const std::vector<std::string>& next(std::int64_t monotonic_ms, std::int64_t unix_ms,
                                         std::span<const Metric> extra = {}) noexcept;

    // The number of servers not acknowledging, sent as agent.servers_unacked from the next beat
    // on (with the agent collector). Never set in `once`, whose beats leave it out.
    void set_servers_unacknowledging(std::size_t servers) noexcept { servers_unacked_ = servers; }

    // From the next beat on, runs the collectors of `run` and reports its interval and plan
    // version in the beats.
    void apply(const RunSettings& run) noexcept;

    // Reads the metrics file now and logs what it found (SIGHUP).
    void reload_metrics_file() noexcept;

    std::uint64_t sequence() const noexcept { return hb_.sequence; }

  private:
    // Reads the metrics file into file_metrics_; logs a missing file or bad lines once until they
    // change, or every time when `verbose`.
    void read_metrics_file(bool verbose) noexcept;

    AgentConfig cfg_;
    CollectorSchedule collectors_;  // Those in force: the config's, or a plan's.
    Heartbeat hb_;
    std::uint64_t beat_index_ = 0;
    Sampler sampler_;
    Sample sample_;
    BeatBuilder builder_;
    FileReader file_reader_;
    std::vector<Metric> file_metrics_;
    FailureLatch file_latch_;
    std::string file_problem_;  // The last problem logged, to log a different one again.
    std::vector<std::string> datagrams_;
    std::optional<std::size_t> servers_unacked_;
};

}  // namespace beat
