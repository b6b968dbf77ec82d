// Parses /proc/self/stat (and /proc/stat's boot time) for the process collector's figures. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace beat {

// The figures of /proc/<pid>/stat that the process collector reports (proc(5) numbers the fields
// from 1: pid, (comm), state, ...).
struct ProcessStat {
    std::uint64_t cpu_ticks = 0;      // utime + stime (fields 14 and 15), in clock ticks.
    std::uint64_t start_ticks = 0;    // starttime (field 22): clock ticks after boot.
    std::uint64_t virtual_bytes = 0;  // vsize (field 23).
    std::uint64_t rss_pages = 0;      // rss (field 24), in pages.
};

// Parses the text of /proc/<pid>/stat: "pid (comm) state ppid ...", where comm may hold spaces and
// parentheses (the command name ends at the last ')'). nullopt when the text does not have that
// shape, ends before field 25 (Linux writes about 50: a shorter text was cut, perhaps inside
// rss), or one of the figures is not a decimal number that fits in 64 bits. Reads at
// most the text given; never throws.
std::optional<ProcessStat> parse_process_stat(std::string_view text) noexcept;

// The boot time from the text of /proc/stat: the number of its "btime <unix seconds>" line, or
// nullopt when there is no such line or its number does not parse. Never throws.
std::optional<std::int64_t> parse_boot_time(std::string_view proc_stat) noexcept;

}  // namespace beat
