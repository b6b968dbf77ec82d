// A transparent string hash for unordered maps keyed by std::string.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace beat {

// Hash that lets unordered maps keyed by std::string be searched with a string_view.
// Deliberately not noexcept: libstdc++ then keeps each node's hash code, so a lookup compares
// codes instead of re-hashing and re-reading the keys of the other nodes in its bucket (a cache
// miss each, with hundreds of thousands of keys).
struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace beat
