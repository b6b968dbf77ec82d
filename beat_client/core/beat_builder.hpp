// Turns what the collectors read into the metrics of a beat, keeping the previous counters that
// rates need. Pure: the time of each sample is passed in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "beat_client/core/collectors.hpp"
#include "beat_client/core/loadavg.hpp"
#include "beat_client/core/meminfo.hpp"
#include "beat_client/core/metric_writer.hpp"
#include "beat_client/core/net_dev.hpp"
#include "beat_client/core/proc_stat.hpp"

namespace beat {

struct DiskUsage {
    std::string mount_point;
    double used_pct = 0;
};

// What was read for one beat. A collector that did not run, or whose source could not be read,
// leaves its part empty (or its `*_read` flag false).
struct Sample {
    std::optional<ProcStat> stat;  // For cpu and kernel.
    std::optional<MemInfo> mem;
    std::optional<LoadAvg> load;
    std::optional<double> uptime_s;
    bool disks_read = false;
    std::vector<DiskUsage> disks;
    bool net_read = false;
    std::vector<NetCounters> net;
    std::optional<std::uint64_t> rss_bytes;
    // Servers not acknowledging the agent's beats (from its sender, not from /proc); the agent
    // collector sends it when set.
    std::optional<std::size_t> servers_unacked;

    // Empties every part but keeps the vectors' storage for the next beat.
    void clear() noexcept;
};

class BeatBuilder {
  public:
    // Appends to `w` the metrics of the collectors in `due` that `sample` holds data for, read at
    // monotonic time `now_ms`. Rates (cpu, net.*) compare with the previous sample of the same
    // collector and are left out when there is none yet, no time passed, or a counter went
    // backwards. Names that would be invalid on the wire (too long, not UTF-8) are left out too.
    // Percentages and rates are rounded to two decimals.
    void build(const Sample& sample, CollectorSet due, std::int64_t now_ms, MetricWriter& w);

  private:
    void add_net(const std::vector<NetCounters>& net, std::int64_t now_ms, MetricWriter& w);

    std::optional<CpuTimes> prev_cpu_;
    std::vector<NetCounters> prev_net_;
    std::optional<std::int64_t> prev_net_ms_;
};

// Appends `raw` to `out` with every byte a metric name cannot hold (blanks and control
// characters) replaced by '_': a mount point "/mnt/backup disk" becomes "/mnt/backup_disk".
void append_name_part(std::string_view raw, std::string& out);

}  // namespace beat
