// Stores the binary metric frames of the --binary port (common/binary_frame.hpp), each as the
// put it stands for, and counts what became of them.
#pragma once

#include <array>
#include <cstdint>

#include "beat_server/core/store/store.hpp"
#include "common/binary_frame.hpp"

namespace beat {

struct FrameStats {
    std::uint64_t stored = 0;     // Frames stored: a point added, or a second's value replaced.
    std::uint64_t key_limit = 0;  // Frames not stored: a new key beyond --max-keys.
    // Streams ended by a malformed frame, by reason (index 0, none, unused).
    std::array<std::uint64_t, kFrameErrorCount> malformed_by{};
};

class FrameIngest {
  public:
    // `store` must outlive the ingest.
    explicit FrameIngest(Store& store) noexcept : store_(store) {}

    // Stores `frame` as "put <name> <value> <second>", its second being its timestamp in
    // microseconds rounded down, accepted at `now_unix_s`: the same point a put makes, replacing
    // the value of that second as a put does, and journalled as a put is (so the storage writes
    // it with the same durability). False, counted, when its key is new and the store holds
    // --max-keys keys already.
    bool store(const MetricFrame& frame, std::int64_t now_unix_s);
    // Counts a stream that a malformed frame ended, with its reason (not none).
    void malformed(FrameError e) noexcept { ++stats_.malformed_by[static_cast<std::size_t>(e)]; }

    const FrameStats& stats() const noexcept { return stats_; }

  private:
    Store& store_;
    FrameStats stats_;
};

}  // namespace beat
