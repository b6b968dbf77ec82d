#include <catch2/catch.hpp>

#include "beat_client/core/proc_stat.hpp"
#include "sample_files.hpp"

using namespace beat;

TEST_CASE("the aggregate cpu line, interrupts and context switches are read from /proc/stat",
          "[proc_stat]") {
    const auto s = parse_proc_stat(test::proc_sample("stat_2cpu"));
    REQUIRE(s);
    CHECK(s->cpu_count == 2);
    CHECK(s->cpu.user == 26545);
    CHECK(s->cpu.system == 5841);
    CHECK(s->cpu.idle == 65976);
    CHECK(s->cpu.iowait == 920);
    CHECK(s->cpu.steal == 87);
    CHECK(s->interrupts == 238131);
    CHECK(s->context_switches == 1079471);
}

TEST_CASE("a machine with 64 CPUs and a long interrupt line is read in full", "[proc_stat]") {
    const auto s = parse_proc_stat(test::proc_sample("stat_64cpu"));
    REQUIRE(s);
    CHECK(s->cpu_count == 64);
    CHECK(s->cpu.user == 3022728);
    CHECK(s->cpu.nice == 16679);
    CHECK(s->cpu.system == 1363203);
    CHECK(s->cpu.idle == 44338214);
    CHECK(s->cpu.iowait == 306633);
    CHECK(s->cpu.softirq == 25153);
    CHECK(s->cpu.steal == 1639);
    CHECK(s->context_switches == 987654321012ull);
}

TEST_CASE("an old kernel's cpu line without iowait and steal is accepted", "[proc_stat]") {
    const auto s = parse_proc_stat("cpu  10 20 30 40\ncpu0 10 20 30 40\nintr 5 1 2\nctxt 7\n");
    REQUIRE(s);
    CHECK(s->cpu.total() == 100);
    CHECK(s->cpu.idle_all() == 40);
}

TEST_CASE("/proc/stat without its cpu, intr or ctxt line is rejected", "[proc_stat]") {
    CHECK_FALSE(parse_proc_stat(""));
    CHECK_FALSE(parse_proc_stat("cpu  1 2 3 4\nintr 5\n"));
    CHECK_FALSE(parse_proc_stat("cpu  1 2 3 4\nctxt 5\n"));
    CHECK_FALSE(parse_proc_stat("intr 5\nctxt 5\n"));
    CHECK_FALSE(parse_proc_stat("cpu  1 2 x 4\nintr 5\nctxt 5\n"));
    CHECK_FALSE(parse_proc_stat("cpu  1 2 3\nintr 5\nctxt 5\n"));
}
