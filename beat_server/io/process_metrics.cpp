#include "beat_server/io/process_metrics.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "beat_server/core/pages/process_stat.hpp"

namespace beat {
namespace {

// /proc/stat has a line per CPU and one with every interrupt's count: a few kB to a few hundred.
constexpr std::size_t kMaxProcFile = 1 << 20;
// /proc/self/fd lists at most RLIMIT_NOFILE entries; this bounds the walk whatever that is.
constexpr std::size_t kMaxFdEntries = 1 << 24;

// The contents of `path` (at most kMaxProcFile bytes), or an empty string when it cannot be read.
std::string read_file(const char* path) {
    std::string text;
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return text;
    char buf[4096];
    while (text.size() < kMaxProcFile) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return text;
}

// The entries of /proc/self/fd, less the one that listing it opens; nullopt when it cannot be read.
std::optional<double> count_open_fds() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) return std::nullopt;
    std::size_t n = 0;
    while (n < kMaxFdEntries) {
        const dirent* e = ::readdir(dir);
        if (e == nullptr) break;
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) ++n;
    }
    ::closedir(dir);
    return static_cast<double>(n > 0 ? n - 1 : 0);
}

// Unix seconds of the boot, which never changes while the process runs: read once.
std::optional<std::int64_t> boot_time() {
    static const std::optional<std::int64_t> boot = parse_boot_time(read_file("/proc/stat"));
    return boot;
}

void read_into(ProcessStatus& p) {
    const long ticks_per_second = ::sysconf(_SC_CLK_TCK);
    const long page_size = ::sysconf(_SC_PAGESIZE);
    if (const auto stat = parse_process_stat(read_file("/proc/self/stat"))) {
        if (ticks_per_second > 0) {
            const auto tps = static_cast<double>(ticks_per_second);
            p.cpu_seconds = static_cast<double>(stat->cpu_ticks) / tps;
            if (const auto boot = boot_time()) {
                p.start_time_seconds =
                    static_cast<double>(*boot) + static_cast<double>(stat->start_ticks) / tps;
            }
        }
        if (page_size > 0) {
            p.resident_bytes =
                static_cast<double>(stat->rss_pages) * static_cast<double>(page_size);
        }
        p.virtual_bytes = static_cast<double>(stat->virtual_bytes);
    }
    p.open_fds = count_open_fds();
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        p.max_fds = static_cast<double>(limit.rlim_cur);
    }
}

}  // namespace

ProcessStatus read_process_status() noexcept {
    ProcessStatus p;
    try {
        read_into(p);
    } catch (...) {
        // Only allocation can fail here; the figures read so far are still worth reporting.
    }
    return p;
}

}  // namespace beat
