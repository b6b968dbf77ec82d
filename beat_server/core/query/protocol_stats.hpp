// Counters the put/get executor keeps about the requests it ran, by cause.
#pragma once

#include <array>
#include <cstdint>

#include "common/protocol.hpp"

namespace beat {

struct ProtocolStats {
    std::uint64_t puts = 0;
    std::uint64_t gets = 0;
    std::uint64_t get_alls = 0;
    std::uint64_t malformed = 0;  // By reason in `malformed_by`.
    std::array<std::uint64_t, kRequestErrorCount> malformed_by{};
    std::uint64_t too_long = 0;   // Lines over the limit (the connection is closed).
    std::uint64_t key_limit = 0;  // Puts refused: a new key beyond --max-keys.
};

}  // namespace beat
