// Fuzz driver for the server's parsers of its own /proc files (beat_server/core/process_stat):
// parse_process_stat() of /proc/self/stat and parse_boot_time() of /proc/stat. Every input goes
// through both as it is, as the command name of a well-formed stat line, and (its first 40 bytes)
// as the five figures of one.
//
// Invariants, for any input:
// - Neither parser reads outside the input, crashes or throws.
// - A stat result comes only from text of the shape "digits (comm) f3 f4 ... f24 ...": a pid of
//   decimal digits, then " (", then, after the last ')', a space and fields 3 to 24 each ended by
//   a space. The same text cut anywhere after that ')' and before the space that ends rss (field
//   24) gives nothing; cut just after that space, or with bytes holding no ')' appended, it gives
//   the same result.
// - Any bytes as the command name of an otherwise well-formed line give that line's figures.
// - Five 64-bit figures written into a stat line read back as themselves, or as nothing exactly
//   when utime + stime does not fit in 64 bits.
// - A boot time result, written back as "btime <n>", reads as itself; a line "btime 1" appended to
//   the text changes a result the text already gave in no way, and otherwise gives 1 or nothing
//   (an earlier btime line that does not parse wins).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "beat_server/core/pages/process_stat.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace beat::fuzz {
namespace {

bool same(const std::optional<ProcessStat>& a, const std::optional<ProcessStat>& b) noexcept {
    if (a.has_value() != b.has_value()) return false;
    return !a || (a->cpu_ticks == b->cpu_ticks && a->start_ticks == b->start_ticks &&
                  a->virtual_bytes == b->virtual_bytes && a->rss_pages == b->rss_pages);
}

bool all_digits(std::string_view s) noexcept {
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return !s.empty();
}

// A /proc/<pid>/stat line with command name `comm` and the given figures, fields after rss as
// Linux writes them.
std::string stat_line(std::string_view comm, std::uint64_t utime, std::uint64_t stime,
                      std::uint64_t start, std::uint64_t vsize, std::uint64_t rss) {
    return fmt::format(
        "4242 ({}) S 1 4242 4242 0 -1 4194560 1234 0 0 0 {} {} 0 0 20 0 3 0 {} {} {} "
        "18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
        comm, utime, stime, start, vsize, rss);
}

void check_shape(std::string_view text, const ProcessStat& parsed, std::uint64_t choice) {
    const std::size_t open = text.find(" (");
    const std::size_t close = text.rfind(')');
    FUZZ_CHECK(open != std::string_view::npos && close != std::string_view::npos && close > open);
    FUZZ_CHECK(all_digits(text.substr(0, open)));
    FUZZ_CHECK(close + 1 < text.size() && text[close + 1] == ' ');
    // The space that ends field 24: the 23rd after the ')' (the first ends the ')' itself).
    std::size_t rss_end = close + 1;
    for (int spaces = 1; spaces < 23; ++spaces) {
        rss_end = text.find(' ', rss_end + 1);
        FUZZ_CHECK(rss_end != std::string_view::npos);
    }
    const std::optional<ProcessStat> whole = parsed;
    FUZZ_CHECK(!parse_process_stat(text.substr(0, rss_end)));
    FUZZ_CHECK(!parse_process_stat(text.substr(0, close + 1 + choice % (rss_end - close))));
    FUZZ_CHECK(same(parse_process_stat(text.substr(0, rss_end + 1)), whole));
    FUZZ_CHECK(same(parse_process_stat(std::string(text) + "0 0 (0\n"), whole));
}

void check_process_stat(std::string_view text) {
    const std::optional<ProcessStat> s = parse_process_stat(text);
    if (s) check_shape(text, *s, fnv1a(text));

    const std::optional<ProcessStat> named = parse_process_stat(stat_line(text, 150, 25, 7, 8, 9));
    FUZZ_CHECK(named && named->cpu_ticks == 175 && named->start_ticks == 7 &&
               named->virtual_bytes == 8 && named->rss_pages == 9);

    std::uint64_t n[5];
    if (text.size() < sizeof n) return;
    std::memcpy(n, text.data(), sizeof n);
    const std::optional<ProcessStat> figures =
        parse_process_stat(stat_line("beat_server", n[0], n[1], n[2], n[3], n[4]));
    if (n[0] + n[1] < n[0]) {
        FUZZ_CHECK(!figures);
    } else {
        FUZZ_CHECK(figures && figures->cpu_ticks == n[0] + n[1] && figures->start_ticks == n[2] &&
                   figures->virtual_bytes == n[3] && figures->rss_pages == n[4]);
    }
}

void check_boot_time(std::string_view text) {
    const std::optional<std::int64_t> b = parse_boot_time(text);
    if (b) FUZZ_CHECK(parse_boot_time(fmt::format("btime {}\n", *b)) == b);
    const std::optional<std::int64_t> appended = parse_boot_time(std::string(text) + "\nbtime 1\n");
    if (b) {
        FUZZ_CHECK(appended == b);
    } else {
        FUZZ_CHECK(!appended || *appended == 1);
    }
}

}  // namespace
}  // namespace beat::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    beat::fuzz::check_process_stat(text);
    beat::fuzz::check_boot_time(text);
    return 0;
}
