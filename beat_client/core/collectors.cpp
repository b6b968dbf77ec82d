#include "beat_client/core/collectors.hpp"

namespace beat {

std::string_view to_string(Collector c) noexcept {
    switch (c) {
        case Collector::cpu:
            return "cpu";
        case Collector::mem:
            return "mem";
        case Collector::load:
            return "load";
        case Collector::kernel:
            return "kernel";
        case Collector::uptime:
            return "uptime";
        case Collector::disk:
            return "disk";
        case Collector::net:
            return "net";
        case Collector::agent:
            return "agent";
    }
    return "unknown";
}

std::optional<Collector> parse_collector(std::string_view name) noexcept {
    for (Collector c : kAllCollectors) {
        if (to_string(c) == name) return c;
    }
    return std::nullopt;
}

CollectorSet CollectorSchedule::due(std::uint64_t beat_index) const noexcept {
    CollectorSet out;
    for (Collector c : kAllCollectors) {
        const CollectorSettings& s = (*this)[c];
        if (s.enabled && s.every > 0 && beat_index % s.every == 0) out.add(c);
    }
    return out;
}

}  // namespace beat
