#include "common/uv/resolve.hpp"

#include <fmt/core.h>

#include <cstring>

#include "common/uv/uv_error.hpp"

namespace beat {

sockaddr_storage resolve_for_bind(uv_loop_t* loop, const Endpoint& e) {
    sockaddr_storage out{};
    if (uv_ip4_addr(e.host.c_str(), e.port, reinterpret_cast<sockaddr_in*>(&out)) == 0) return out;
    if (uv_ip6_addr(e.host.c_str(), e.port, reinterpret_cast<sockaddr_in6*>(&out)) == 0) return out;
    uv_getaddrinfo_t req;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_flags = AI_PASSIVE;
    const std::string port = std::to_string(e.port);
    // A null callback makes the call synchronous, which is right at start-up.
    const int rc = uv_getaddrinfo(loop, &req, nullptr, e.host.c_str(), port.c_str(), &hints);
    if (rc < 0 || req.addrinfo == nullptr) {
        throw UvError("cannot resolve " + to_string(e) + ": " + uv_message(rc));
    }
    std::memcpy(&out, req.addrinfo->ai_addr, req.addrinfo->ai_addrlen);
    uv_freeaddrinfo(req.addrinfo);
    return out;
}

std::string sockaddr_to_string(const sockaddr* sa) {
    char ip[64] = "?";
    if (sa->sa_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
        uv_ip4_name(in, ip, sizeof ip);
        return fmt::format("{}:{}", ip, ntohs(in->sin_port));
    }
    if (sa->sa_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
        uv_ip6_name(in6, ip, sizeof ip);
        return fmt::format("[{}]:{}", ip, ntohs(in6->sin6_port));
    }
    return "?";
}

}  // namespace beat
