// Reads the sources of the collectors due in a beat (/proc files, statvfs) into a Sample.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "beat_client/core/beat_builder.hpp"
#include "beat_client/core/collectors.hpp"
#include "beat_client/core/disks.hpp"
#include "beat_client/core/failure_latch.hpp"
#include "beat_client/io/file_reader.hpp"

namespace beat {

class Sampler {
  public:
    // `proc` is the procfs mount point ("/proc"; tests may point elsewhere).
    explicit Sampler(std::string proc = "/proc");

    // Fills `out` (cleared first) for the collectors in `due`. A collector whose source cannot be
    // read or parsed (a file missing in a container) is left empty and logged once, when it
    // starts failing, and once more when it works again. Never throws.
    void sample(CollectorSet due, Sample& out) noexcept;

  private:
    // The content of `file`, or nullopt after recording a failure of `c`.
    std::optional<std::string_view> read(Collector c, ProcFile& file);
    void failed(Collector c, const std::string& source, std::string_view why) noexcept;
    void worked(Collector c) noexcept;
    void sample_disks(Sample& out);

    ProcFile stat_, meminfo_, loadavg_, uptime_, mounts_file_, net_dev_, statm_;
    std::uint64_t page_size_;
    FileReader reader_;
    std::array<FailureLatch, kCollectorCount> latches_;
    // The mount table is parsed again only when the kernel flags a change.
    bool have_mounts_ = false;
    std::vector<Mount> mounts_;
    std::vector<std::size_t> disks_;
};

}  // namespace beat
