// Counters the server keeps about its own work, by cause.
#pragma once

#include <array>
#include <cstdint>

#include "common/wire.hpp"

namespace beat {

struct IngestStats {
    std::uint64_t datagrams = 0;  // Read from the UDP socket.
    std::uint64_t accepted = 0;   // Decoded and applied to a host.
    std::uint64_t rejected = 0;   // Failed to decode; by reason in `rejected_by`.
    std::array<std::uint64_t, kDecodeErrorCount> rejected_by{};
    std::uint64_t duplicates = 0;       // Decoded but already seen (or older than the window).
    std::uint64_t late = 0;             // Accepted out of order.
    std::uint64_t metrics = 0;          // Metric values stored.
    std::uint64_t metrics_refused = 0;  // Not stored: their key would exceed --max-keys.
};

struct ProtocolStats {
    std::uint64_t puts = 0;
    std::uint64_t gets = 0;
    std::uint64_t get_alls = 0;
    std::uint64_t malformed = 0;
    std::uint64_t too_long = 0;   // Lines over the limit (the connection is closed).
    std::uint64_t key_limit = 0;  // Puts refused: a new key beyond --max-keys.
};

}  // namespace beat
