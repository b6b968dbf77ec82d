#include "beat_server/core/metrics_page.hpp"

namespace beat {

std::string render_metrics(const StatusView&) {
    return {};
}

}  // namespace beat
