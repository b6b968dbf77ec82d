#include <catch2/catch.hpp>

#include <string>

#include "beat_server/core/pages/process_stat.hpp"

using namespace beat;

namespace {

// A /proc/<pid>/stat line as Linux writes it: utime 150, stime 25, starttime 987654,
// vsize 123456789, rss 2048, and 28 more fields after rss.
std::string stat_line(const std::string& comm) {
    return "12345 (" + comm +
           ") S 1 12345 12345 0 -1 4194560 1234 0 0 0 150 25 0 0 20 0 3 0 987654 123456789 2048 "
           "18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
}

}  // namespace

TEST_CASE("process stat gives cpu ticks start ticks vsize and rss pages", "[process_stat]") {
    const auto s = parse_process_stat(stat_line("beat_server"));
    REQUIRE(s);
    CHECK(s->cpu_ticks == 175);
    CHECK(s->start_ticks == 987654);
    CHECK(s->virtual_bytes == 123456789);
    CHECK(s->rss_pages == 2048);
}

TEST_CASE("a command name holding spaces and parentheses ends at the last parenthesis",
          "[process_stat]") {
    for (const char* comm : {"a b", "x) S 9 9 (", "))", "(", ""}) {
        CAPTURE(comm);
        const auto s = parse_process_stat(stat_line(comm));
        REQUIRE(s);
        CHECK(s->cpu_ticks == 175);
        CHECK(s->rss_pages == 2048);
    }
}

TEST_CASE("process stat cut anywhere before the field after rss is refused", "[process_stat]") {
    const std::string line = stat_line("beat server");
    const std::size_t rss_end = line.find(" 18446744073709551615");
    REQUIRE(rss_end != std::string::npos);
    for (std::size_t n = 0; n <= rss_end; ++n) {
        CAPTURE(n);
        CHECK_FALSE(parse_process_stat(std::string_view(line).substr(0, n)));
    }
    CHECK(parse_process_stat(std::string_view(line).substr(0, rss_end + 1)));
}

TEST_CASE("process stat with a figure that is not a number is refused", "[process_stat]") {
    std::string line = stat_line("beat");
    CHECK_FALSE(parse_process_stat(std::string(line).replace(0, 5, "x")));
    CHECK_FALSE(parse_process_stat(std::string(line).replace(6, 6, "beat ")));  // No '('.
    const std::size_t rss = line.find(" 2048 ");
    REQUIRE(rss != std::string::npos);
    CHECK_FALSE(parse_process_stat(std::string(line).replace(rss + 1, 4, "-48")));
    CHECK_FALSE(parse_process_stat(std::string(line).replace(rss + 1, 4, "2x48")));
    CHECK_FALSE(parse_process_stat(std::string(line).replace(rss + 1, 4, "99999999999999999999")));
}

TEST_CASE("the boot time is the number on the btime line of /proc/stat", "[process_stat]") {
    const std::string proc_stat =
        "cpu  10 0 20 300 0 0 0 0 0 0\ncpu0 10 0 20 300 0 0 0 0 0 0\nintr 5 1 2\n"
        "ctxt 777\nbtime 1763775000\nprocesses 42\n";
    CHECK(parse_boot_time(proc_stat) == 1763775000);
    CHECK_FALSE(parse_boot_time("cpu 1 2 3\nctxt 777\n"));
    CHECK_FALSE(parse_boot_time("btime soon\n"));
    CHECK_FALSE(parse_boot_time(""));
}
