// /proc/uptime: seconds since boot.
#pragma once

#include <optional>
#include <string_view>

namespace beat {

// Parses the content of /proc/uptime ("319.16 517.91") and returns its first number, the seconds
// since boot; nullopt when it is not a finite non-negative number.
std::optional<double> parse_uptime(std::string_view content) noexcept;

}  // namespace beat
