// The agent's collectors and how often each one runs.
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace beat {

// Each collector reads one source and contributes the metrics listed in docs/agent_metrics.md.
enum class Collector : std::uint8_t {
    cpu,     // cpu (from /proc/stat)
    mem,     // mem.used_pct, mem.avail_bytes, swap.used_pct (from /proc/meminfo)
    load,    // load.1, load.5, load.15 (from /proc/loadavg)
    kernel,  // intr, ctxt (from /proc/stat)
    uptime,  // uptime (from /proc/uptime)
    disk,    // disk.<mount point>.used_pct (from /proc/self/mounts and statvfs)
    net,     // net.<interface>.rx_bps, tx_bps (from /proc/net/dev)
    agent,   // agent.rss_bytes (from /proc/self/statm), agent.servers_unacked (from the sender)
};
inline constexpr std::size_t kCollectorCount = 8;
inline constexpr std::array<Collector, kCollectorCount> kAllCollectors = {
    Collector::cpu,    Collector::mem,  Collector::load, Collector::kernel,
    Collector::uptime, Collector::disk, Collector::net,  Collector::agent};

// The collector's name as used by --disable and the config file ("cpu", "mem", ...).
std::string_view to_string(Collector c) noexcept;
std::optional<Collector> parse_collector(std::string_view name) noexcept;

// A set of collectors, indexed by their enum value.
class CollectorSet {
  public:
    bool has(Collector c) const noexcept { return bits_.test(static_cast<std::size_t>(c)); }
    void add(Collector c) noexcept { bits_.set(static_cast<std::size_t>(c)); }
    bool empty() const noexcept { return bits_.none(); }

  private:
    std::bitset<kCollectorCount> bits_;
};

struct CollectorSettings {
    bool enabled = true;
    std::uint32_t every = 1;  // Runs on every `every`-th beat, starting with the first.
};
inline constexpr std::uint32_t kMaxEvery = 10'000;

// When each collector runs. A collector that does not run in a beat contributes nothing to it:
// its previous values are not sent again.
class CollectorSchedule {
  public:
    CollectorSettings& operator[](Collector c) noexcept {
        return settings_[static_cast<std::size_t>(c)];
    }
    const CollectorSettings& operator[](Collector c) const noexcept {
        return settings_[static_cast<std::size_t>(c)];
    }

    // The collectors that run in beat number `beat_index` (0 for the first beat).
    CollectorSet due(std::uint64_t beat_index) const noexcept;

  private:
    std::array<CollectorSettings, kCollectorCount> settings_{};
};

}  // namespace beat
