// Start-up address resolution for listeners.
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <string>

#include "common/endpoint.hpp"

namespace beat {

// Resolves `e` (an IP literal or a host name) synchronously to its first address, for binding at
// start-up. Throws UvError naming the endpoint when it cannot be resolved.
sockaddr_storage resolve_for_bind(uv_loop_t* loop, const Endpoint& e);

// "ip:port" (or "[ip6]:port") of a bound socket address.
std::string sockaddr_to_string(const sockaddr* sa);

}  // namespace beat
