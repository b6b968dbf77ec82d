// /proc/loadavg: the run-queue averages.
#pragma once

#include <optional>
#include <string_view>

namespace beat {

struct LoadAvg {
    double one = 0, five = 0, fifteen = 0;  // Over 1, 5 and 15 minutes.
};

// Parses the content of /proc/loadavg ("0.40 0.26 0.11 1/85 4121"); nullopt when the first three
// fields are not finite non-negative numbers.
std::optional<LoadAvg> parse_loadavg(std::string_view content) noexcept;

}  // namespace beat
