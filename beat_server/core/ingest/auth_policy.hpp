// Whether a decoded heartbeat datagram is authentic enough to be applied: the tag check of
// --auth and the freshness bound that limits replays (docs/datagram.md, "Authentication").
#pragma once

#include <cstdint>

#include "beat_server/core/ingest/ingest_stats.hpp"
#include "common/key_ring.hpp"
#include "common/wire.hpp"

namespace beat {

// What the server demands of a datagram's authentication tag.
enum class AuthMode {
    off,       // Tags are ignored; anyone who can reach the UDP port can beat for any host.
    optional,  // Untagged datagrams are accepted; a tagged one must carry a valid tag.
    required,  // Every datagram must carry a valid tag for its host's key.
};

struct AuthPolicy {
    AuthMode mode = AuthMode::off;
    const KeyRing* keys = nullptr;  // Must be set unless mode is off; outlives the policy's users.
    std::int64_t max_clock_skew_ms = 300'000;
};

struct AuthVerdict {
    bool ok = true;
    Refusal reason = Refusal::auth_missing;  // Meaningful when !ok.
    bool authenticated = false;              // The tag was checked and is right.
};

// Checks `hb` against `policy` at Unix time `now_unix_ms`:
// - off: always ok, never authenticated;
// - untagged: refused (auth_missing) when required, otherwise ok;
// - tagged: refused when no key covers its host (auth_no_key) or the tag is wrong
//   (auth_bad_tag); a right tag is refused still when the send time is more than
//   max_clock_skew_ms away from now_unix_ms (clock_skew), and is otherwise authenticated.
// Pure; constant time in the tag's contents.
AuthVerdict check_auth(const AuthPolicy& policy, const HeartbeatView& hb,
                       std::int64_t now_unix_ms) noexcept;

}  // namespace beat
