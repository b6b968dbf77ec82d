// Start-up error handling for libuv calls.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace beat {

// Thrown at start-up (never from a callback) when a libuv call fails.
struct UvError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Throws UvError("<what>: <libuv message>") when `rc` is negative; returns `rc` otherwise.
int uv_check(int rc, std::string_view what);

// libuv's message for an error code, e.g. "address already in use".
std::string uv_message(int rc);

}  // namespace beat
