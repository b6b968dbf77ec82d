// GET /: a self-contained HTML page with the fleet at a glance. Pure.
#pragma once

#include <string>

#include "beat_server/core/server_status.hpp"

namespace beat {

// The page: silent hosts first, with last-seen age and a few key metrics; it reloads itself.
std::string render_status_page(const StatusView& view);

}  // namespace beat
