// What the fuzz drivers share: the invariant check, the test that a view lies inside the buffer
// it was cut from, a hash to derive choices from, and feeding a stream in chunks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string_view>

// A broken invariant prints the driver's line and the condition, then aborts: libFuzzer reports
// the abort as a crash and saves the input that caused it.
#define FUZZ_CHECK(cond)                                                                      \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                     \
        }                                                                                     \
    } while (0)

namespace beat::fuzz {

// True when `part` points into `whole` (an empty `part` may sit at its end).
inline bool within(std::string_view whole, std::string_view part) noexcept {
    const std::less_equal<const char*> le;
    return le(whole.data(), part.data()) &&
           le(part.data() + part.size(), whole.data() + whole.size());
}

// FNV-1a of `bytes`: drivers that need more choices than the input's bytes can give (a chunk
// size, a byte to flip) derive them from it, so that the seed corpus can stay plain captures.
inline std::uint64_t fnv1a(std::string_view bytes) noexcept {
    std::uint64_t h = 0xcbf29ce484222325;
    for (unsigned char c : bytes)
        h = (h ^ c) * 0x100000001b3;
    return h;
}

// Feeds `input` to `feed` in chunks of 1..max_chunk bytes, their sizes drawn from `h` (which is
// advanced), as a network stream may split it.
template <typename Feed>
void feed_in_chunks(std::string_view input, std::uint64_t& h, std::size_t max_chunk, Feed&& feed) {
    for (std::size_t pos = 0; pos < input.size();) {
        h = h * 6364136223846793005 + 1442695040888963407;  // Knuth's MMIX LCG.
        const std::size_t chunk = 1 + (h >> 33) % max_chunk;
        feed(input.substr(pos, chunk));
        pos += chunk;
    }
}

}  // namespace beat::fuzz
