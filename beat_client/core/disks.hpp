// Filesystems worth reporting, from /proc/self/mounts, and how full they are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beat {

struct Mount {
    std::string device;
    std::string mount_point;  // Unescaped: "/mnt/backup disk", not "/mnt/backup\040disk".
    std::string fs_type;
};

inline constexpr std::size_t kMaxDisks = 64;

// Appends `field` to `out` with the octal escapes of /proc/mounts (\040 space, \011 tab, \012
// newline, \134 backslash, any \ooo) turned back into bytes; other text is copied as it is.
void append_unescaped(std::string_view field, std::string& out);

// Parses the content of /proc/self/mounts into `out` (replacing what it held, reusing its
// strings). Lines with fewer than three fields are skipped.
void parse_mounts(std::string_view content, std::vector<Mount>& out);

// True for a local filesystem whose fullness means something: one on a block device ("/dev/..."),
// ZFS, or an overlay mounted at "/" (a container's root). False for pseudo filesystems (proc,
// tmpfs, cgroup, ...), read-only images (squashfs, iso9660, erofs) that are always full, and
// network filesystems, whose statfs() can hang for minutes when the server is gone.
bool is_disk_filesystem(const Mount& m) noexcept;

// Indexes into `mounts` of the filesystems to report: disk filesystems, each device once under its
// shortest mount point (so a bind mount or a container's /etc/hosts does not repeat "/"), in the
// order of their first appearance, at most `max` of them. Writes into `out`.
void select_disks(const std::vector<Mount>& mounts, std::vector<std::size_t>& out,
                  std::size_t max = kMaxDisks);

// The "Use%" of df: used / (used + available to unprivileged users) * 100, from statvfs()'s
// f_blocks, f_bfree and f_bavail; nullopt for an empty filesystem or inconsistent numbers.
std::optional<double> disk_used_pct(std::uint64_t blocks, std::uint64_t bfree,
                                    std::uint64_t bavail) noexcept;

}  // namespace beat
