// Reads a streamed page (a BodySource) slice by slice, as the HTTP port does, with a hook between
// slices for a test that changes the fleet meanwhile.
#pragma once

#include <catch2/catch.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "beat_server/core/http/http_message.hpp"

namespace beat::test {

// The slices of `source`, each written with `budget`; `between(i)` runs after slice i (from 0)
// unless it was the last.
template <typename Between>
std::vector<std::string> read_slices(BodySource& source, std::size_t budget, Between between) {
    std::vector<std::string> slices;
    // Every page of the tests ends in far fewer slices: more is a source that never ends.
    for (std::size_t i = 0; i < 1'000'000; ++i) {
        std::string slice;
        const bool done = source.write(slice, budget);
        slices.push_back(std::move(slice));
        if (done) return slices;
        between(i);
    }
    FAIL("the body never ended");
    return slices;
}

// The whole body of `source`, written `budget` bytes a slice.
inline std::string read_body(BodySource& source, std::size_t budget) {
    std::string body;
    for (const std::string& s : read_slices(source, budget, [](std::size_t) {}))
        body += s;
    return body;
}

}  // namespace beat::test
