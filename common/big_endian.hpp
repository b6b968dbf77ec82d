// Big-endian (network order) integers, as beat's binary formats carry them.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

namespace beat {

// The big-endian unsigned integer of sizeof(T) bytes at `p`; the caller checked that they are
// there.
template <typename T>
T load_be(const char* p) noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    if constexpr (std::endian::native == std::endian::little) {
        if constexpr (sizeof(T) == 2) v = __builtin_bswap16(v);
        if constexpr (sizeof(T) == 4) v = __builtin_bswap32(v);
        if constexpr (sizeof(T) == 8) v = __builtin_bswap64(v);
    }
    return v;
}

// Appends `v` to `out` as sizeof(T) big-endian bytes.
template <typename T>
void append_be(std::string& out, T v) {
    auto u = static_cast<std::uint64_t>(v);
    for (int i = sizeof(T) - 1; i >= 0; --i)
        out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}

}  // namespace beat
