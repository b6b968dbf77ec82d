// Binary metric frames for the tests. kSeedFrame is the example frame of the metric collector's
// documentation, byte for byte, which beat's --binary port must store exactly:
//   echo -ne '\x00\x00\x01\x88\xD2\xE9\xA0\x00\x06metric\x40\x49\x0F\xDB\x00\x00\x00\x00'
// It is `metric` = 50.123870849609375 (0x40490FDB00000000, the float32 bits of pi in the top half
// of a float64) at 1687165706240 us, stored at second 1687165.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/binary_frame.hpp"

namespace beat::test {

inline constexpr std::string_view kSeedFrame(
    "\x00\x00\x01\x88\xD2\xE9\xA0\x00\x06metric\x40\x49\x0F\xDB\x00\x00\x00\x00", 23);

// The bytes of one frame of `name` (1 to 255 bytes, not checked further) at `timestamp_us`.
inline std::string frame_bytes(std::uint64_t timestamp_us, std::string_view name, double value) {
    std::string out;
    encode_frame(timestamp_us, name, value, out);
    return out;
}

}  // namespace beat::test
