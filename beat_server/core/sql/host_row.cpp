#include "beat_server/core/sql/host_row.hpp"

#include <fmt/format.h>

namespace beat {

HostRow host_row(const HostRecord& host, std::int64_t offset_ms) {
    const HostState s = host.liveness.state;
    const char* state = host.liveness.flapping() ? "flapping"
                        : s == HostState::up     ? "up"
                        : s == HostState::silent ? "silent"
                                                 : "unknown";
    return {
        std::string(host.name), state, host.last_seen_ms + offset_ms, host.address.to_string(),
        fmt::format(R"({{"interval_ms":{},"beats":{},"lost":{},"restarts":{},"duplicates":{}}})",
                    host.interval_ms, host.beats,
                    // A PyHeartBeat host's beats are not numbered: its loss is unknown.
                    host.legacy ? std::string("null") : std::to_string(host.lost), host.restarts,
                    host.duplicates)};
}

}  // namespace beat
