// Writes the Prometheus text exposition format 0.0.4. Pure.
#pragma once

namespace beat {}  // namespace beat
