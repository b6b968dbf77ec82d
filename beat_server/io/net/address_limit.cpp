#include "beat_server/io/net/address_limit.hpp"

#include "beat_server/core/ingest/source_address.hpp"
#include "common/log.hpp"

namespace beat {

bool AddressLimit::admit(const sockaddr& peer, std::int64_t now_ms, std::string& address) noexcept {
    try {
        std::string ip = SourceAddress(&peer).ip();
        std::size_t& open = open_[ip];
        if (open < max_per_address_) {
            ++open;
            address = std::move(ip);
            return true;
        }
        ++refused_;
        if (log_.allow(ip, now_ms)) {
            log_warn(
                "{} per-address connection limit reached: address={} "
                "max_connections_per_address={} refused_since_last_log={} refused_total={}",
                protocol_, ip, max_per_address_, log_.take_suppressed(ip) + 1, refused_);
        }
    } catch (const std::bad_alloc&) {
        log_error("{} accept: out of memory", protocol_);
    }
    return false;
}

void AddressLimit::release(const std::string& address) noexcept {
    if (address.empty()) return;
    const auto it = open_.find(address);
    if (it != open_.end() && --it->second == 0) open_.erase(it);
}

}  // namespace beat
