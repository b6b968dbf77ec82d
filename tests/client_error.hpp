// Shared by the Client tests: the message of the ClientError an action throws.
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "common/client.hpp"

namespace beat::test {

// Runs `f`, which must throw ClientError, and returns its message; fails the test otherwise.
template <typename F>
std::string client_error(F&& f) {
    try {
        f();
    } catch (const ClientError& e) {
        return e.what();
    }
    FAIL("no ClientError was thrown");
    return {};
}

}  // namespace beat::test
