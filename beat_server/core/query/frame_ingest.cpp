#include "beat_server/core/query/frame_ingest.hpp"

namespace beat {

bool FrameIngest::store(const MetricFrame& frame, std::int64_t now_unix_s) {
    if (store_.put(frame.name, frame.second(), frame.value, now_unix_s) ==
        Store::PutResult::key_limit) {
        ++stats_.key_limit;
        return false;
    }
    ++stats_.stored;
    return true;
}

}  // namespace beat
