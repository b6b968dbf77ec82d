// Splitting the text of /proc files into lines and blank-separated fields (common/parse_number.hpp
// reads the numbers in them). Pure and allocation-free.
#pragma once

#include <string_view>

namespace beat {

// Removes the first line from `rest` and returns it without its '\n'; returns "" once `rest` is
// empty. A last line without '\n' is returned whole.
std::string_view next_line(std::string_view& rest) noexcept;

// Skips spaces and tabs, then removes the next run of other characters from `rest` and returns it;
// returns "" when only blanks are left.
std::string_view next_field(std::string_view& rest) noexcept;

}  // namespace beat
