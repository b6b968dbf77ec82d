// The example frame of the metric collector's documentation, byte for byte, which beat's --binary
// port must store exactly:
//   echo -ne '\x00\x00\x01\x88\xD2\xE9\xA0\x00\x06metric\x40\x49\x0F\xDB\x00\x00\x00\x00'
// It is `metric` = 50.123870849609375 (0x40490FDB00000000, the float32 bits of pi in the top half
// of a float64) at 1687165706240 us, stored at second 1687165.
#pragma once

#include <string_view>

namespace beat::test {

inline constexpr std::string_view kSeedFrame(
    "\x00\x00\x01\x88\xD2\xE9\xA0\x00\x06metric\x40\x49\x0F\xDB\x00\x00\x00\x00", 23);

}  // namespace beat::test
