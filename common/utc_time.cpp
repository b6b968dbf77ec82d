#include "common/utc_time.hpp"

#include <fmt/core.h>

#include <chrono>

namespace beat {
namespace {

// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z.
constexpr std::int64_t kFirstMs = -62'167'219'200'000;
constexpr std::int64_t kLastMs = 253'402'300'799'999;

}  // namespace

std::string format_utc_ms(std::int64_t unix_ms) {
    if (unix_ms < kFirstMs || unix_ms > kLastMs) return fmt::format("{}ms", unix_ms);
    using namespace std::chrono;
    const sys_time<milliseconds> t{milliseconds{unix_ms}};
    const sys_days day = floor<days>(t);  // Before 1970 too: the day that holds the instant.
    const year_month_day date{day};
    const hh_mm_ss time{t - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                       static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                       time.hours().count(), time.minutes().count(), time.seconds().count(),
                       time.subseconds().count());
}

}  // namespace beat
