// /proc/net/dev: bytes received and sent per network interface.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace beat {

struct NetCounters {
    std::string name;
    std::uint64_t rx_bytes = 0;
    std::uint64_t tx_bytes = 0;
};

// Parses the content of /proc/net/dev into `out` (replacing what it held, reusing its strings so
// that a steady set of interfaces costs no allocation), leaving out the loopback interface "lo".
// Interface names are taken up to the ':', which may touch the first number when the name is long
// or the count large. Lines that cannot be read are skipped; returns false when the content does
// not look like /proc/net/dev at all (no "|" header).
bool parse_net_dev(std::string_view content, std::vector<NetCounters>& out);

}  // namespace beat
