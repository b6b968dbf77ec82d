#include "beat_server/core/ingest/auth_policy.hpp"

#include "common/auth_tag.hpp"

namespace beat {

AuthVerdict check_auth(const AuthPolicy& policy, const HeartbeatView& hb,
                       std::int64_t now_unix_ms) noexcept {
    if (policy.mode == AuthMode::off) return {};
    if ((hb.flags & kFlagAuth) == 0) {
        if (policy.mode == AuthMode::required) return {false, Refusal::auth_missing, false};
        return {};
    }
    const Key* key = policy.keys != nullptr ? policy.keys->key_for(hb.host) : nullptr;
    if (key == nullptr) return {false, Refusal::auth_no_key, false};
    if (!verify_tag(hb, *key)) return {false, Refusal::auth_bad_tag, false};
    const std::int64_t skew = hb.send_time_ms - now_unix_ms;
    if (skew > policy.max_clock_skew_ms || -skew > policy.max_clock_skew_ms)
        return {false, Refusal::clock_skew, true};
    return {true, Refusal::auth_missing, true};
}

}  // namespace beat
