// A check run on config text before toml++ sees it. toml++ 3.3.0 (Debian 12's) reaches
// __builtin_unreachable() -- undefined behaviour -- when it tests most non-ASCII characters for
// whitespace (marzer/tomlplusplus#295, fixed upstream by #305), which it does wherever its
// grammar allows whitespace, and, in malformed text, right inside what looks like a string. No
// scan can tell in advance which bytes the parser will test, so the config files of the agent and
// the server are ASCII: other characters are written as \uXXXX or \UXXXXXXXX escapes in basic
// strings ("caf\u00e9"), which TOML decodes to the same text.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace beat {

struct TextPosition {
    std::size_t line = 1;    // 1-based.
    std::size_t column = 1;  // 1-based, in bytes.
};

// Where the first byte over 0x7f stands in `text`, or nullopt when it is all ASCII. O(size).
std::optional<TextPosition> first_non_ascii(std::string_view text) noexcept;

}  // namespace beat
