// What the agent does with a control datagram from one of its configured servers
// (docs/datagram.md, "Control datagrams"): an acknowledgement is handed on, a probe is answered
// at once, anything else is ignored and counted by reason. Pure: the caller passes the bytes,
// which server they came from and the time, and sends the answer itself.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "beat_client/core/token_bucket.hpp"
#include "common/control.hpp"
#include "common/key_ring.hpp"

namespace beat {

// Answers to one server: 100 a second on average, 64 at once. A server probes a host at most 64
// times per suspicion (ProbeSettings::max_probes), at least 5 ms apart, so this never holds back
// a genuine probe of a host beating every second or slower, and bounds what forged probes can
// make the agent send (never more bytes than they carried).
inline constexpr double kAnswersPerSecond = 100;
inline constexpr double kAnswerBurst = 64;

// Why a control datagram was ignored; each is counted.
enum class ControlIgnored : std::uint8_t {
    undecodable,        // Not a control datagram decode_control() accepts.
    wrong_type,         // An answer: only agents send those.
    other_host,         // About another host.
    other_incarnation,  // About another run of this agent (an earlier one).
    bad_tag,            // Signed, and the tag is not the one this agent's key gives.
    unsigned_with_key,  // Not signed while the agent has a key.
    rate_limited,       // A probe beyond the answer budget of its server.
    plan_unsigned,      // A plan without a tag this agent can check, and no accept_unsigned_plans.
    bad_plan,           // A plan whose body does not decode or is not the version it claims.
    stale_plan,         // A plan older (by the server's clock) than the plan applied last.
};
inline constexpr std::size_t kControlIgnoredCount = 10;

// A stable lower-case name for each reason ("other_host", ...), for logs.
std::string_view to_string(ControlIgnored reason) noexcept;

// What to do with one control datagram.
struct ControlAction {
    enum class Kind : std::uint8_t { ignore, ack, answer, plan };
    Kind kind = Kind::ignore;
    ControlIgnored reason = ControlIgnored::undecodable;  // With ignore.
    std::uint64_t sequence = 0;                           // With ack: the beat acknowledged.
    std::string_view answer;  // With answer: the bytes to send back, valid until the next call.
    // With plan: the plan the server asks for and its version; valid until the next call.
    const Plan* plan = nullptr;
    std::uint32_t plan_version = 0;
};

class ControlResponder {
  public:
    // For the agent of `host` in its run `incarnation`, with `servers` configured servers; with
    // `key`, answers are signed and unsigned datagrams are ignored. A plan is handed on only when
    // its tag verifies under `key`, or, for an agent without a key, when
    // `accept_unsigned_plans`; and only when its body decodes to the version it claims and it is
    // no older, by the server's clock, than the last plan handed on.
    ControlResponder(std::string host, std::uint64_t incarnation, std::optional<Key> key,
                     std::size_t servers, bool accept_unsigned_plans = false);

    // Decides about `datagram`, received from configured server number `server` (below the count
    // given to the constructor) at monotonic time `now_ms`; `unix_ms` is the same moment in Unix
    // milliseconds, the time an answer carries. An answer is never larger than the probe it
    // answers: it has the probe's host and a tag only when the probe had one. Never throws.
    ControlAction on_datagram(std::size_t server, std::string_view datagram, std::int64_t now_ms,
                              std::int64_t unix_ms) noexcept;

    // Datagrams ignored so far, by reason.
    std::uint64_t ignored(ControlIgnored reason) const noexcept {
        return ignored_[static_cast<std::size_t>(reason)];
    }
    std::uint64_t acks() const noexcept { return acks_; }
    std::uint64_t answers() const noexcept { return answers_; }

  private:
    ControlAction ignore(ControlIgnored reason) noexcept;

    std::string host_;
    std::uint64_t incarnation_;
    std::optional<Key> key_;
    bool accept_unsigned_plans_;
    std::vector<TokenBucket> budgets_;  // One per server.
    Plan plan_;                         // The plan handed on last.
    std::int64_t plan_time_ms_ = 0;     // Its time, by the clock of the server that sent it.
    std::string answer_;                // Reused: holds kMaxControl bytes from the start.
    std::array<std::uint64_t, kControlIgnoredCount> ignored_{};
    std::uint64_t acks_ = 0;
    std::uint64_t answers_ = 0;
};

}  // namespace beat
