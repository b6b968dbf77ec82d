// libsodium must be initialised once before use; every user in beat calls ensure_sodium() first.
#pragma once

#include <sodium.h>

#include <stdexcept>

namespace beat {

// Initialises libsodium on first call (thread-safe); throws std::runtime_error if it cannot.
inline void ensure_sodium() {
    static const bool ok = sodium_init() >= 0;
    if (!ok) throw std::runtime_error("libsodium failed to initialise");
}

}  // namespace beat
