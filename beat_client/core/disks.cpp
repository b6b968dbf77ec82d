#include "beat_client/core/disks.hpp"

#include <algorithm>
#include <array>
#include <span>

#include "beat_client/core/text_fields.hpp"

namespace beat {
namespace {

bool is_octal(char c) noexcept {
    return c >= '0' && c <= '7';
}

constexpr std::array<std::string_view, 4> kImageTypes = {"squashfs", "iso9660", "erofs", "udf"};

// Network and cluster filesystems: statfs() on them waits for a server.
constexpr std::array<std::string_view, 15> kNetworkTypes = {
    "nfs", "nfs4",  "cifs",   "smb3", "smbfs",  "ceph",       "glusterfs", "9p",
    "afs", "ncpfs", "lustre", "gpfs", "beegfs", "fuse.sshfs", "fuse.s3fs"};

bool in(std::string_view s, std::span<const std::string_view> list) noexcept {
    return std::find(list.begin(), list.end(), s) != list.end();
}

}  // namespace

void append_unescaped(std::string_view field, std::string& out) {
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size() && is_octal(field[i + 1]) &&
            is_octal(field[i + 2]) && is_octal(field[i + 3])) {
            const int v =
                (field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0');
            out.push_back(static_cast<char>(v & 0xff));
            i += 3;
        } else {
            out.push_back(field[i]);
        }
    }
}

void parse_mounts(std::string_view content, std::vector<Mount>& out) {
    std::size_t n = 0;
    while (!content.empty()) {
        std::string_view line = next_line(content);
        const std::string_view device = next_field(line);
        const std::string_view mount_point = next_field(line);
        const std::string_view fs_type = next_field(line);
        if (fs_type.empty()) continue;
        if (n == out.size()) out.emplace_back();
        Mount& m = out[n++];
        m.device.clear();
        m.mount_point.clear();
        m.fs_type.clear();
        append_unescaped(device, m.device);
        append_unescaped(mount_point, m.mount_point);
        append_unescaped(fs_type, m.fs_type);
    }
    out.resize(n);
}

bool is_disk_filesystem(const Mount& m) noexcept {
    if (in(m.fs_type, kImageTypes) || in(m.fs_type, kNetworkTypes)) return false;
    if (m.fs_type == "zfs") return true;
    if (m.fs_type == "overlay") return m.mount_point == "/";
    return m.device.starts_with("/dev/");
}

void select_disks(const std::vector<Mount>& mounts, std::vector<std::size_t>& out,
                  std::size_t max) {
    out.clear();
    for (std::size_t i = 0; i < mounts.size(); ++i) {
        const Mount& m = mounts[i];
        if (!is_disk_filesystem(m)) continue;
        const auto same = std::find_if(out.begin(), out.end(),
                                       [&](std::size_t j) { return mounts[j].device == m.device; });
        if (same == out.end()) {
            if (out.size() < max) out.push_back(i);
        } else if (m.mount_point.size() < mounts[*same].mount_point.size()) {
            *same = i;
        }
    }
}

std::optional<double> disk_used_pct(std::uint64_t blocks, std::uint64_t bfree,
                                    std::uint64_t bavail) noexcept {
    // bavail <= bfree <= blocks, so used + bavail <= blocks cannot wrap.
    if (bfree > blocks || bavail > bfree) return std::nullopt;
    const std::uint64_t used = blocks - bfree;
    const std::uint64_t usable = used + bavail;
    if (usable == 0) return std::nullopt;
    // Above 2^53 blocks the division can round one unit over 100.
    return std::min(100.0, 100.0 * static_cast<double>(used) / static_cast<double>(usable));
}

}  // namespace beat
