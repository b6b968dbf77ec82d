// The network address a datagram came from, kept compactly per host.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>

namespace beat {

class SourceAddress {
  public:
    SourceAddress() noexcept;
    // Copies an AF_INET or AF_INET6 address; anything else gives an empty address.
    explicit SourceAddress(const sockaddr* sa) noexcept;

    // "1.2.3.4:5678" or "[::1]:5678"; "-" when empty.
    std::string to_string() const;
    // The address without the port, e.g. "1.2.3.4" or "::1".
    std::string ip() const;
    // The address as raw bytes (a sockaddr), for keeping it across restarts; SourceAddress(sa)
    // reads them back.
    const sockaddr* raw() const noexcept { return &u_.sa; }
    static constexpr std::size_t raw_size() noexcept { return sizeof(u_); }
    bool operator==(const SourceAddress& other) const noexcept;

  private:
    union {
        sockaddr sa;
        sockaddr_in v4;
        sockaddr_in6 v6;
    } u_;
};

}  // namespace beat
