// UTF-8 validation for names that arrive from the network.
#pragma once

#include <string_view>

namespace beat {

// True when `s` is well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
// U+10FFFF, no truncated sequence.
bool valid_utf8(std::string_view s) noexcept;

}  // namespace beat
