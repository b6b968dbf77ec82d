// Instants as beat writes them for people and logs: RFC 3339 UTC with milliseconds.
#pragma once

#include <cstdint>
#include <string>

namespace beat {

// Unix time `unix_ms` (milliseconds since 1970-01-01T00:00:00Z, negative before it) as
// "2024-05-01T12:00:00.123Z". Times from year 0000 to 9999, which the format can hold, are
// written that way; others as the plain count with its unit ("253402300800000ms"). Pure.
std::string format_utc_ms(std::int64_t unix_ms);

}  // namespace beat
