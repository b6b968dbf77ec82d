// Source addresses for the monitor's tests, as the UDP listener hands them over.
#pragma once

#include <arpa/inet.h>

#include <cstdint>

#include "beat_server/core/ingest/source_address.hpp"

namespace beat::test {

// The IPv4 address `ip` (dotted quad) and `port`.
inline SourceAddress addr(const char* ip, std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    inet_pton(AF_INET, ip, &a.sin_addr);
    return SourceAddress(reinterpret_cast<const sockaddr*>(&a));
}

}  // namespace beat::test
