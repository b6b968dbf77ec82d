// The connections a listener holds from each peer IP address, with a cap: what the put/get port
// and the --binary port share.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/rate_limiter.hpp"

namespace beat {

class AddressLimit {
  public:
    // At most `max_per_address` connections at once from one IP address; `protocol` ("tcp",
    // "binary") starts the log line about those turned away.
    AddressLimit(std::string_view protocol, std::size_t max_per_address)
        : protocol_(protocol), max_per_address_(max_per_address) {}

    // Counts a connection just accepted from `peer` at loop time `now_ms` and returns true, with
    // `address` set to the peer's IP for release(); or, beyond the cap, counts it as refused,
    // logs that at most once a minute per address, and returns false. Out of memory: false.
    bool admit(const sockaddr& peer, std::int64_t now_ms, std::string& address) noexcept;
    // Takes back a connection admit() counted under `address` (nothing when it is empty).
    void release(const std::string& address) noexcept;

    // Connections turned away beyond the cap since start.
    std::uint64_t refused() const noexcept { return refused_; }

  private:
    std::string protocol_;
    std::size_t max_per_address_;
    std::unordered_map<std::string, std::size_t> open_;  // Open connections by peer IP.
    RateLimiter log_{60'000};                            // One log line a minute per IP.
    std::uint64_t refused_ = 0;
};

}  // namespace beat
