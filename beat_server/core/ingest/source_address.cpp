#include "beat_server/core/ingest/source_address.hpp"

#include <arpa/inet.h>
#include <fmt/core.h>

#include <cstring>

namespace beat {

SourceAddress::SourceAddress() noexcept {
    std::memset(&u_, 0, sizeof u_);
    u_.sa.sa_family = AF_UNSPEC;
}

SourceAddress::SourceAddress(const sockaddr* sa) noexcept : SourceAddress() {
    if (sa == nullptr) return;
    if (sa->sa_family == AF_INET) {
        std::memcpy(&u_.v4, sa, sizeof(sockaddr_in));
    } else if (sa->sa_family == AF_INET6) {
        std::memcpy(&u_.v6, sa, sizeof(sockaddr_in6));
    }
}

std::string SourceAddress::ip() const {
    char buf[INET6_ADDRSTRLEN] = "-";
    if (u_.sa.sa_family == AF_INET) {
        inet_ntop(AF_INET, &u_.v4.sin_addr, buf, sizeof buf);
    } else if (u_.sa.sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &u_.v6.sin6_addr, buf, sizeof buf);
    }
    return buf;
}

std::string SourceAddress::to_string() const {
    if (u_.sa.sa_family == AF_INET) return fmt::format("{}:{}", ip(), ntohs(u_.v4.sin_port));
    if (u_.sa.sa_family == AF_INET6) return fmt::format("[{}]:{}", ip(), ntohs(u_.v6.sin6_port));
    return "-";
}

bool SourceAddress::operator==(const SourceAddress& o) const noexcept {
    if (u_.sa.sa_family != o.u_.sa.sa_family) return false;
    if (u_.sa.sa_family == AF_INET) {
        return u_.v4.sin_port == o.u_.v4.sin_port &&
               u_.v4.sin_addr.s_addr == o.u_.v4.sin_addr.s_addr;
    }
    if (u_.sa.sa_family == AF_INET6) {
        return u_.v6.sin6_port == o.u_.v6.sin6_port &&
               std::memcmp(&u_.v6.sin6_addr, &o.u_.v6.sin6_addr, sizeof(in6_addr)) == 0;
    }
    return true;
}

}  // namespace beat
