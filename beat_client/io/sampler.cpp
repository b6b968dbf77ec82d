#include "beat_client/io/sampler.hpp"

#include <sys/statvfs.h>

#include <cstring>

#include "beat_client/core/loadavg.hpp"
#include "beat_client/core/meminfo.hpp"
#include "beat_client/core/net_dev.hpp"
#include "beat_client/core/proc_stat.hpp"
#include "beat_client/core/statm.hpp"
#include "beat_client/core/uptime.hpp"
#include "beat_client/io/system.hpp"
#include "common/log.hpp"

namespace beat {

Sampler::Sampler(std::string proc)
    : stat_(proc + "/stat"),
      meminfo_(proc + "/meminfo"),
      loadavg_(proc + "/loadavg"),
      uptime_(proc + "/uptime"),
      mounts_file_(proc + "/self/mounts"),
      net_dev_(proc + "/net/dev"),
      statm_(proc + "/self/statm"),
      page_size_(beat::page_size()) {}

void Sampler::failed(Collector c, const std::string& source, std::string_view why) noexcept {
    if (latches_[static_cast<std::size_t>(c)].fail()) {
        log_warn(
            "collector failed collector={} source={} error=\"{}\" (its metrics are left out "
            "until it works again)",
            to_string(c), source, why);
    }
}

void Sampler::worked(Collector c) noexcept {
    if (latches_[static_cast<std::size_t>(c)].succeed()) {
        log_info("collector recovered collector={}", to_string(c));
    }
}

std::optional<std::string_view> Sampler::read(Collector c, ProcFile& file) {
    int error = 0;
    const auto content = reader_.read(file, error);
    if (!content) failed(c, file.path(), std::strerror(error));
    return content;
}

void Sampler::sample(CollectorSet due, Sample& out) noexcept {
    out.clear();
    try {
        // One read of /proc/stat serves both the cpu and the kernel collectors.
        const bool cpu = due.has(Collector::cpu), kernel = due.has(Collector::kernel);
        if (cpu || kernel) {
            const Collector c = cpu ? Collector::cpu : Collector::kernel;
            if (const auto text = read(c, stat_)) {
                out.stat = parse_proc_stat(*text);
                for (Collector k : {Collector::cpu, Collector::kernel}) {
                    if (!due.has(k)) continue;
                    if (out.stat) {
                        worked(k);
                    } else {
                        failed(k, stat_.path(), "unexpected content");
                    }
                }
            } else if (cpu && kernel) {
                failed(Collector::kernel, stat_.path(), "cannot be read");
            }
        }
        const auto parse_one = [&](Collector c, ProcFile& file, auto parse, auto& slot) {
            if (!due.has(c)) return;
            const auto text = read(c, file);
            if (!text) return;
            slot = parse(*text);
            if (slot) {
                worked(c);
            } else {
                failed(c, file.path(), "unexpected content");
            }
        };
        parse_one(Collector::mem, meminfo_, parse_meminfo, out.mem);
        parse_one(Collector::load, loadavg_, parse_loadavg, out.load);
        parse_one(Collector::uptime, uptime_, parse_uptime, out.uptime_s);
        parse_one(
            Collector::agent, statm_,
            [this](std::string_view t) { return parse_statm_rss(t, page_size_); }, out.rss_bytes);
        if (due.has(Collector::net)) {
            if (const auto text = read(Collector::net, net_dev_)) {
                out.net_read = parse_net_dev(*text, out.net);
                if (out.net_read) {
                    worked(Collector::net);
                } else {
                    failed(Collector::net, net_dev_.path(), "unexpected content");
                }
            }
        }
        if (due.has(Collector::disk)) sample_disks(out);
    } catch (const std::exception& e) {
        // Only allocation can throw here; the beat still goes out with what was read.
        log_error("sampling failed: {}", e.what());
    }
}

void Sampler::sample_disks(Sample& out) {
    if (!have_mounts_ || mounts_file_.changed()) {
        const auto text = read(Collector::disk, mounts_file_);
        have_mounts_ = text.has_value();
        if (!text) return;
        parse_mounts(*text, mounts_);
        select_disks(mounts_, disks_);
    }
    std::size_t n = 0;
    for (std::size_t i : disks_) {
        const Mount& m = mounts_[i];
        // Local filesystems answer statvfs() from memory; the network ones that could block the
        // loop were left out by select_disks().
        struct statvfs st {};
        if (::statvfs(m.mount_point.c_str(), &st) != 0) continue;
        const auto pct = disk_used_pct(st.f_blocks, st.f_bfree, st.f_bavail);
        if (!pct) continue;
        if (n == out.disks.size()) out.disks.emplace_back();
        out.disks[n].mount_point = m.mount_point;
        out.disks[n].used_pct = *pct;
        ++n;
    }
    out.disks.resize(n);
    out.disks_read = true;
    worked(Collector::disk);
}

}  // namespace beat
