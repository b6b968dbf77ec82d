#include <catch2/catch.hpp>

#include "beat_client/core/disks.hpp"
#include "sample_files.hpp"

using namespace beat;

namespace {

std::vector<std::string> selected_mount_points(const std::string& sample) {
    std::vector<Mount> mounts;
    parse_mounts(test::proc_sample(sample), mounts);
    std::vector<std::size_t> picked;
    select_disks(mounts, picked);
    std::vector<std::string> out;
    for (std::size_t i : picked)
        out.push_back(mounts[i].mount_point);
    return out;
}

}  // namespace

TEST_CASE("octal escapes in mount fields are turned back into bytes", "[disks]") {
    std::string out;
    append_unescaped("/mnt/backup\\040disk\\011x\\134y\\012", out);
    CHECK(out == "/mnt/backup disk\tx\\y\n");
    out.clear();
    append_unescaped("/odd\\04", out);
    CHECK(out == "/odd\\04");
    out.clear();
    append_unescaped("\\9999", out);
    CHECK(out == "\\9999");
}

TEST_CASE("a mount point with an escaped space is read with the space", "[disks]") {
    std::vector<Mount> mounts;
    parse_mounts(test::proc_sample("mounts_server"), mounts);
    REQUIRE(mounts.size() == 25);
    CHECK(mounts[16].device == "/dev/sdb1");
    CHECK(mounts[16].mount_point == "/mnt/backup disk");
    CHECK(mounts[16].fs_type == "xfs");
    CHECK(mounts[24].device == "/dev/mapper/vg0-var log\ttab");
}

TEST_CASE("real local filesystems are reported, pseudo, image and network ones are not",
          "[disks]") {
    CHECK(selected_mount_points("mounts_server") ==
          std::vector<std::string>{"/", "/home", "/boot/efi", "/mnt/backup disk", "/tank/data",
                                   "/var/log"});
}

TEST_CASE(
    "a container reports its overlay root and each bind-mounted device once, under its "
    "shortest mount point",
    "[disks]") {
    CHECK(selected_mount_points("mounts_container") == std::vector<std::string>{"/", "/data"});
}

TEST_CASE("the number of reported filesystems is capped", "[disks]") {
    std::string content;
    for (int i = 0; i < 100; ++i)
        content += "/dev/sd" + std::to_string(i) + " /m" + std::to_string(i) + " ext4 rw 0 0\n";
    std::vector<Mount> mounts;
    parse_mounts(content, mounts);
    std::vector<std::size_t> picked;
    select_disks(mounts, picked);
    CHECK(picked.size() == kMaxDisks);
    select_disks(mounts, picked, 3);
    CHECK(picked == std::vector<std::size_t>{0, 1, 2});
}

TEST_CASE("disk usage is computed as df does, against the space ordinary users can use",
          "[disks]") {
    // 1000 blocks, 400 free of which 300 available: 600 used of 900 usable.
    CHECK(*disk_used_pct(1000, 400, 300) == Approx(100.0 * 600 / 900));
    CHECK(*disk_used_pct(1000, 1000, 1000) == 0.0);
    CHECK(*disk_used_pct(1000, 0, 0) == 100.0);
    CHECK_FALSE(disk_used_pct(0, 0, 0));
    CHECK_FALSE(disk_used_pct(10, 20, 5));
    // More available than free is inconsistent (and used + available could wrap).
    CHECK_FALSE(disk_used_pct(4048231527416737329, 2321098931424999102, 18446744073709498165u));
    // Above 2^53 blocks the result still stays within 100.
    CHECK(*disk_used_pct(8386103164103582537, 0, 0) == 100.0);
}
