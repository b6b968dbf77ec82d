// A check run on config text before toml++ sees it. toml++ 3.3.0 (Debian 12's) reaches
// __builtin_unreachable() -- undefined behaviour -- when a non-ASCII character stands where the
// grammar allows only ASCII, as in the bare key "é = 1" (marzer/tomlplusplus#295, fixed upstream
// by #305). TOML allows non-ASCII only inside strings and comments, so such text is invalid
// anyway: it is refused here, with its position, before the parser can misbehave.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace beat {

struct TomlPosition {
    std::size_t line = 1;    // 1-based.
    std::size_t column = 1;  // 1-based, in bytes.
};

// Where the first byte over 0x7f outside a string or a comment stands in `text`, or nullopt when
// there is none. Strings are TOML's four kinds ("...", '...', """...""", '''...'''), with
// backslash escapes in the basic ones; an unterminated string or comment runs to the end of its
// line (single-line kinds) or of the text (multi-line kinds), where the parser will report it.
// O(size of text).
std::optional<TomlPosition> non_ascii_outside_strings(std::string_view text) noexcept;

}  // namespace beat
