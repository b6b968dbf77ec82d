// Where the monitor's datagrams to agents go: acknowledgements of their beats and probes
// (common/control.hpp), encoded and signed already. The server sends them from the UDP socket the
// beats arrive on; the simulator hands them to its simulated links.
#pragma once

#include <string_view>

#include "beat_server/core/ingest/source_address.hpp"

namespace beat {

class DatagramOut {
  public:
    virtual ~DatagramOut() = default;
    // Sends `bytes` to `to` at once or not at all (a full socket buffer drops it): the monitor
    // waits for no outcome. `bytes` lives for the call only.
    virtual void send(std::string_view bytes, const SourceAddress& to) noexcept = 0;
};

}  // namespace beat
