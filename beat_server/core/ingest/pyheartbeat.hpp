// PyHeartBeat (Python Cookbook, recipe 13.11): every client sends the 4 bytes "PyHB" in a UDP
// datagram every 5 seconds to the monitoring server's port (43278, beat's UDP port too), and the
// server names each client by the IP address the datagram came from. beat takes such a datagram
// as a beat (Monitor::on_legacy_beat), so that clients already running it can be pointed at
// beat unchanged.
#pragma once

#include <string>
#include <string_view>

#include "beat_server/core/ingest/source_address.hpp"

namespace beat {

inline constexpr std::string_view kPyHeartBeat = "PyHB";

// True when `datagram` is a PyHeartBeat beat: exactly "PyHB", nothing before or after it.
inline bool is_pyheartbeat(std::string_view datagram) noexcept {
    return datagram == kPyHeartBeat;
}

// The name of the host a PyHeartBeat datagram from `from` beats for: its IP address as text,
// "10.0.0.7" or "2001:db8::7", an IPv4 address given as IPv6 (::ffff:10.0.0.7, as a dual-stack
// socket gives it) written as IPv4, so a host has one name whichever way the server listens.
std::string pyheartbeat_host(const SourceAddress& from);

}  // namespace beat
