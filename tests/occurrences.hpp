// Counting how often a text holds another, for tests that check how many times something was
// written (a log line, a table row).
#pragma once

#include <cstddef>
#include <string_view>

namespace beat::test {

// How many times `what` (not empty) occurs in `text`, overlapping occurrences included.
inline std::size_t occurrences(std::string_view text, std::string_view what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string_view::npos;
         at = text.find(what, at + 1))
        ++n;
    return n;
}

}  // namespace beat::test
