// Reads this process's figures for /metrics from /proc/self.
#pragma once

#include "beat_server/core/pages/server_status.hpp"

namespace beat {

// The process collector's figures now; a figure /proc does not give stays unset. Never throws.
ProcessStatus read_process_status() noexcept;

}  // namespace beat
