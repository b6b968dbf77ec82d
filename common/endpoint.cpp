#include "common/endpoint.hpp"

#include <arpa/inet.h>

#include <fmt/core.h>

#include "common/parse_number.hpp"

namespace beat {

std::optional<Endpoint> parse_endpoint(std::string_view s,
                                       std::optional<std::uint16_t> default_port) {
    Endpoint e;
    std::string_view host, port;
    if (!s.empty() && s.front() == '[') {
        const std::size_t close = s.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = s.substr(1, close - 1);
        const std::string_view rest = s.substr(close + 1);
        if (rest.empty()) {
            if (!default_port) return std::nullopt;
        } else if (rest.front() != ':') {
            return std::nullopt;
        } else {
            port = rest.substr(1);
            if (port.empty()) return std::nullopt;
        }
    } else {
        const std::size_t colon = s.rfind(':');
        if (colon == std::string_view::npos) {
            if (!default_port) return std::nullopt;
            host = s;
        } else {
            host = s.substr(0, colon);
            port = s.substr(colon + 1);
            // A bare IPv6 literal must be bracketed.
            if (host.find(':') != std::string_view::npos || port.empty()) return std::nullopt;
        }
    }
    if (host.empty()) return std::nullopt;
    for (char c : host) {
        if (static_cast<unsigned char>(c) <= 0x20) return std::nullopt;
    }
    e.host = std::string(host);
    if (port.empty()) {
        e.port = *default_port;
    } else {
        const auto p = parse_u64(port);
        if (!p || *p > 65535) return std::nullopt;
        e.port = static_cast<std::uint16_t>(*p);
    }
    return e;
}

std::string to_string(const Endpoint& e) {
    if (e.host.find(':') != std::string::npos) return fmt::format("[{}]:{}", e.host, e.port);
    return fmt::format("{}:{}", e.host, e.port);
}

bool is_loopback(const Endpoint& e) noexcept {
    if (e.host == "localhost" || e.host == "::1") return true;
    in_addr a{};
    return inet_pton(AF_INET, e.host.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

}  // namespace beat
