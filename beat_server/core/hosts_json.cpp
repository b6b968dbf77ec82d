#include "beat_server/core/hosts_json.hpp"

namespace beat {

std::string render_hosts_json(const StatusView&) {
    return "{}";
}
std::string render_host_json(const HostRecord&, const StatusView&) {
    return "{}";
}

}  // namespace beat
