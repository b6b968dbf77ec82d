#include "beat_server/core/ingest/transition_ring.hpp"

#include <climits>

namespace beat {

std::string_view to_string(TransitionKind kind) noexcept {
    switch (kind) {
        case TransitionKind::new_host:
            return "new";
        case TransitionKind::silent:
            return "silent";
        case TransitionKind::back:
            return "back";
        case TransitionKind::restarted:
            return "restarted";
        case TransitionKind::flapping:
            return "flapping";
        case TransitionKind::settled_up:
            return "settled up";
        case TransitionKind::settled_silent:
            return "settled silent";
    }
    return "unknown";
}

bool starts_silence(TransitionKind kind) noexcept {
    return kind == TransitionKind::silent || kind == TransitionKind::settled_silent;
}

std::int64_t TransitionRing::last_at_ms() const noexcept {
    return empty() ? INT64_MIN : back().at_ms;
}

std::vector<Transition> TransitionRing::shifted(std::int64_t offset_ms) const {
    std::vector<Transition> out;
    out.reserve(size());
    for (std::size_t i = 0; i < size(); ++i) {
        Transition t = (*this)[i];
        t.at_ms += offset_ms;
        t.heard_ms += offset_ms;
        out.push_back(t);
    }
    return out;
}

}  // namespace beat
