#include "beat_client/core/beat_builder.hpp"

#include <cmath>

#include "beat_client/core/rates.hpp"
#include "common/wire.hpp"

namespace beat {
namespace {

// Finds the counters of interface `name` in `prev`, trying position `hint` first since the order
// of /proc/net/dev rarely changes.
const NetCounters* find_interface(const std::vector<NetCounters>& prev, const std::string& name,
                                  std::size_t hint) noexcept {
    if (hint < prev.size() && prev[hint].name == name) return &prev[hint];
    for (const NetCounters& c : prev) {
        if (c.name == name) return &c;
    }
    return nullptr;
}

// Percentages and rates are sent with two decimals: finer digits are noise from the sampling
// period, and they make every `get` reply harder to read.
double round2(double v) noexcept {
    return std::round(v * 100) / 100;
}

// Keeps the metric just written only if its name is valid on the wire.
void check_last_name(const std::string& name, MetricWriter& w) noexcept {
    if (!valid_name(name)) w.drop_last();
}

}  // namespace

void Sample::clear() noexcept {
    stat.reset();
    mem.reset();
    load.reset();
    uptime_s.reset();
    disks_read = false;
    net_read = false;
    rss_bytes.reset();
    servers_unacked.reset();
}

void append_name_part(std::string_view raw, std::string& out) {
    for (char c : raw) {
        const auto u = static_cast<unsigned char>(c);
        out.push_back(u <= 0x20 || u == 0x7f ? '_' : c);
    }
}

void BeatBuilder::build(const Sample& s, CollectorSet due, std::int64_t now_ms, MetricWriter& w) {
    if (due.has(Collector::cpu) && s.stat) {
        if (prev_cpu_) {
            if (const auto pct = cpu_busy_pct(*prev_cpu_, s.stat->cpu)) w.add(round2(*pct), "cpu");
        }
        prev_cpu_ = s.stat->cpu;
    }
    if (due.has(Collector::mem) && s.mem) {
        w.add(round2(mem_used_pct(*s.mem)), "mem.used_pct");
        w.add(static_cast<double>(s.mem->available), "mem.avail_bytes");
        if (const auto swap = swap_used_pct(*s.mem)) w.add(round2(*swap), "swap.used_pct");
    }
    if (due.has(Collector::load) && s.load) {
        w.add(s.load->one, "load.1");
        w.add(s.load->five, "load.5");
        w.add(s.load->fifteen, "load.15");
    }
    if (due.has(Collector::kernel) && s.stat) {
        w.add(static_cast<double>(s.stat->interrupts), "intr");
        w.add(static_cast<double>(s.stat->context_switches), "ctxt");
    }
    if (due.has(Collector::uptime) && s.uptime_s) w.add(*s.uptime_s, "uptime");
    if (due.has(Collector::disk) && s.disks_read) {
        for (const DiskUsage& d : s.disks) {
            std::string& name = w.slot(round2(d.used_pct));
            name += "disk.";
            append_name_part(d.mount_point, name);
            name += ".used_pct";
            check_last_name(name, w);
        }
    }
    if (due.has(Collector::net) && s.net_read) add_net(s.net, now_ms, w);
    if (due.has(Collector::agent) && s.rss_bytes) {
        w.add(static_cast<double>(*s.rss_bytes), "agent.rss_bytes");
    }
    if (due.has(Collector::agent) && s.servers_unacked) {
        w.add(static_cast<double>(*s.servers_unacked), "agent.servers_unacked");
    }
}

void BeatBuilder::add_net(const std::vector<NetCounters>& net, std::int64_t now_ms,
                          MetricWriter& w) {
    if (prev_net_ms_) {
        const std::int64_t elapsed = now_ms - *prev_net_ms_;
        for (std::size_t i = 0; i < net.size(); ++i) {
            const NetCounters* before = find_interface(prev_net_, net[i].name, i);
            if (!before) continue;
            const auto rx = counter_rate(before->rx_bytes, net[i].rx_bytes, elapsed);
            const auto tx = counter_rate(before->tx_bytes, net[i].tx_bytes, elapsed);
            if (!rx || !tx) continue;
            for (auto [value, suffix] : {std::pair{*rx, ".rx_bps"}, std::pair{*tx, ".tx_bps"}}) {
                std::string& name = w.slot(round2(value));
                name += "net.";
                append_name_part(net[i].name, name);
                name += suffix;
                check_last_name(name, w);
            }
        }
    }
    // Copy-assigning element by element keeps the strings' storage from beat to beat.
    prev_net_.resize(net.size());
    for (std::size_t i = 0; i < net.size(); ++i)
        prev_net_[i] = net[i];
    prev_net_ms_ = now_ms;
}

}  // namespace beat
