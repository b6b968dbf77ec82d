#include "beat_server/core/status_page.hpp"

namespace beat {

std::string render_status_page(const StatusView&) {
    return {};
}

}  // namespace beat
