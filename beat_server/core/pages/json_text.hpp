// JSON values written straight into a page's text, spelled as nlohmann::json's dump() spells them
// (so that a page written this way reads as one built from json objects did), without building
// objects first. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace beat {

// Appends `text` as a JSON string: quoted; '"' and '\' escaped, control bytes as \b, \t, \n, \f,
// \r or \u00XX. Valid UTF-8 passes as it is; when `text` is not valid UTF-8, each of its non-ASCII
// bytes is written as U+FFFD, so that the page stays valid JSON whatever it is given.
void append_json_string(std::string& out, std::string_view text);

// Appends `value` with dump()'s digits ("0.5", "100.0", "1e+21"), or null when it is NaN or
// infinite (JSON has no such numbers).
void append_json_number(std::string& out, double value);
void append_json_number(std::string& out, std::uint64_t value);

}  // namespace beat
