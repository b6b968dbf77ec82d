#include <catch2/catch.hpp>

#include "beat_client/core/meminfo.hpp"
#include "sample_files.hpp"

using namespace beat;

TEST_CASE("memory totals come from MemTotal and MemAvailable, in bytes", "[meminfo]") {
    const auto m = parse_meminfo(test::proc_sample("meminfo"));
    REQUIRE(m);
    CHECK(m->total == 24682416ull * 1024);
    CHECK(m->available == 23784452ull * 1024);
    CHECK(mem_used_pct(*m) == Approx(100.0 * (24682416 - 23784452) / 24682416));
}

TEST_CASE("a node without swap reports no swap percentage", "[meminfo]") {
    const auto m = parse_meminfo(test::proc_sample("meminfo"));
    REQUIRE(m);
    CHECK(m->swap_total == 0);
    CHECK_FALSE(swap_used_pct(*m));
}

TEST_CASE("kernels without MemAvailable get free plus buffers, cache and reclaimable slab",
          "[meminfo]") {
    const auto m = parse_meminfo(test::proc_sample("meminfo_no_available"));
    REQUIRE(m);
    CHECK(m->available == (104320ull + 52104 + 611288 + 60000) * 1024);
    REQUIRE(swap_used_pct(*m));
    CHECK(*swap_used_pct(*m) == Approx(100.0 * (4194300 - 3145724) / 4194300));
}

TEST_CASE("meminfo without a usable MemTotal is rejected", "[meminfo]") {
    CHECK_FALSE(parse_meminfo(""));
    CHECK_FALSE(parse_meminfo("MemTotal: 0 kB\n"));
    CHECK_FALSE(parse_meminfo("MemTotal: lots kB\n"));
}

TEST_CASE("percentages stay within 0..100 when the kernel's numbers disagree", "[meminfo]") {
    const auto m = parse_meminfo(
        "MemTotal: 100 kB\nMemAvailable: 150 kB\nSwapTotal: 10 kB\n"
        "SwapFree: 20 kB\n");
    REQUIRE(m);
    CHECK(mem_used_pct(*m) == 0.0);
    CHECK(swap_used_pct(*m) == 0.0);
}

TEST_CASE("counts whose bytes would not fit 64 bits are refused, not wrapped", "[meminfo]") {
    CHECK_FALSE(parse_meminfo("MemTotal: 18014398509481984 kB\nMemAvailable: 1 kB\n"));
    const auto m = parse_meminfo(
        "MemTotal: 18014398509481983 kB\nMemFree: 18014398509481983 kB\n"
        "Buffers: 18014398509481983 kB\n");
    REQUIRE(m);
    CHECK(m->available == m->total);
    CHECK(mem_used_pct(*m) == 0.0);
}
