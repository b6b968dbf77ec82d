// A beat as an operator reads it: what `beat_client once --print` shows.
#pragma once

#include <string>
#include <vector>

namespace beat {

// Decodes `datagrams` (the output of pack_beat()) and describes them: one header line with host,
// incarnation, sequence, interval, send time and sizes, then one "  name value" line per metric,
// in the order sent. A datagram that does not decode is reported as such, never skipped silently.
std::string format_beat(const std::vector<std::string>& datagrams);

}  // namespace beat
