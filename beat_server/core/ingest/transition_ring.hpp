// A host's recent transitions (new, silent, back, restarted, flapping, settled), oldest first, in
// a bounded ring: what the host page lists and shades. Pure data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/bounded_ring.hpp"

namespace beat {

// The kinds of HostNew, HostSilent, HostBack, HostRestarted, HostFlapping and HostSettled
// (events.hpp); a HostSettled is settled_up or settled_silent after the state it settled in.
// The numbers are stored on disk: never renumber them.
enum class TransitionKind : std::uint8_t {
    new_host = 0,
    silent = 1,
    back = 2,
    restarted = 3,
    flapping = 4,
    settled_up = 5,
    settled_silent = 6,
};

// "new", "silent", "back", "restarted", "flapping", "settled up", "settled silent".
std::string_view to_string(TransitionKind kind) noexcept;
// Whether the host is silent from a transition of `kind` on, until the next one.
bool starts_silence(TransitionKind kind) noexcept;

struct Transition {
    std::int64_t at_ms = 0;     // When it was reported.
    std::int64_t heard_ms = 0;  // When the host had last been heard, as of at_ms.
    TransitionKind kind = TransitionKind::new_host;

    bool operator==(const Transition&) const = default;
};

// The last 64 transitions of a host, oldest first. The times are whatever clock the owner uses
// (the monitor's monotonic ms in a HostRecord, Unix ms in a HostSnapshot). Storage grows with the
// transitions held, so a host that never changed state costs one entry.
class TransitionRing : public BoundedRing<Transition, 64> {
  public:
    // The newest transition's at_ms, or INT64_MIN when there is none.
    std::int64_t last_at_ms() const noexcept;
    // The transitions, oldest first, each time shifted by `offset_ms`.
    std::vector<Transition> shifted(std::int64_t offset_ms) const;
};

}  // namespace beat
