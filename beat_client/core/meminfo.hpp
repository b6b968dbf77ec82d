// /proc/meminfo: memory and swap.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace beat {

// The /proc/meminfo fields beat uses, in bytes.
struct MemInfo {
    std::uint64_t total = 0;
    std::uint64_t available = 0;  // MemAvailable, or an estimate on kernels before 3.14.
    std::uint64_t swap_total = 0;
    std::uint64_t swap_free = 0;
};

// Parses the content of /proc/meminfo. Kernels without MemAvailable get the classic estimate
// MemFree + Buffers + Cached + SReclaimable. Returns nullopt when MemTotal is missing or zero, or
// a needed line is malformed or counts 2^54 kiB or more (its bytes would not fit 64 bits).
std::optional<MemInfo> parse_meminfo(std::string_view content) noexcept;

// Percent of memory in use (not available to start new work without swapping), 0..100.
double mem_used_pct(const MemInfo& m) noexcept;

// Percent of swap in use, 0..100; nullopt when the node has no swap.
std::optional<double> swap_used_pct(const MemInfo& m) noexcept;

}  // namespace beat
