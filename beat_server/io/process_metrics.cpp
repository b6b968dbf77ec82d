#include "beat_server/io/process_metrics.hpp"

namespace beat {

ProcessStatus read_process_status() noexcept {
    return {};
}

}  // namespace beat
