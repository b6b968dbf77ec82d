// "ADDR:PORT" endpoints as they appear on command lines and in config files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace beat {

struct Endpoint {
    std::string host;  // An IPv4 or IPv6 literal or a host name, without brackets.
    std::uint16_t port = 0;
    bool operator==(const Endpoint&) const = default;
};

// Parses "HOST:PORT", "[V6ADDR]:PORT" or, when `default_port` is given, a bare "HOST". Ports are
// 0..65535. Returns nullopt on anything else.
std::optional<Endpoint> parse_endpoint(std::string_view s,
                                       std::optional<std::uint16_t> default_port = {});

// True when `e` names a loopback address: "localhost", 127.0.0.0/8 or ::1.
bool is_loopback(const Endpoint& e) noexcept;

// "host:port", or "[host]:port" when the host holds a ':'.
std::string to_string(const Endpoint& e);

}  // namespace beat
