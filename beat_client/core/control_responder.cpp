#include "beat_client/core/control_responder.hpp"

#include <algorithm>
#include <utility>

namespace beat {

std::string_view to_string(ControlIgnored reason) noexcept {
    switch (reason) {
        case ControlIgnored::undecodable:
            return "undecodable";
        case ControlIgnored::wrong_type:
            return "wrong_type";
        case ControlIgnored::other_host:
            return "other_host";
        case ControlIgnored::other_incarnation:
            return "other_incarnation";
        case ControlIgnored::bad_tag:
            return "bad_tag";
        case ControlIgnored::unsigned_with_key:
            return "unsigned_with_key";
        case ControlIgnored::rate_limited:
            return "rate_limited";
        case ControlIgnored::plan_unsigned:
            return "plan_unsigned";
        case ControlIgnored::bad_plan:
            return "bad_plan";
        case ControlIgnored::stale_plan:
            return "stale_plan";
    }
    return "unknown";
}

ControlResponder::ControlResponder(std::string host, std::uint64_t incarnation,
                                   std::optional<Key> key, std::size_t servers,
                                   bool accept_unsigned_plans)
    : host_(std::move(host)),
      incarnation_(incarnation),
      key_(std::move(key)),
      accept_unsigned_plans_(accept_unsigned_plans),
      budgets_(servers, TokenBucket(kAnswersPerSecond, kAnswerBurst)) {
    answer_.reserve(kMaxControl);
}

ControlAction ControlResponder::ignore(ControlIgnored reason) noexcept {
    ++ignored_[static_cast<std::size_t>(reason)];
    ControlAction a;
    a.reason = reason;
    return a;
}

ControlAction ControlResponder::on_datagram(std::size_t server, std::string_view datagram,
                                            std::int64_t now_ms, std::int64_t unix_ms) noexcept {
    ControlView c;
    if (decode_control(datagram, c) != DecodeError::ok) return ignore(ControlIgnored::undecodable);
    if (c.type == ControlType::answer) return ignore(ControlIgnored::wrong_type);
    if (c.host != host_) return ignore(ControlIgnored::other_host);
    if (c.incarnation != incarnation_) return ignore(ControlIgnored::other_incarnation);
    // Without a key the tag cannot be checked, as with beats on a server running --auth off.
    if (key_) {
        if ((c.flags & kFlagAuth) == 0) return ignore(ControlIgnored::unsigned_with_key);
        if (!verify_control(c, *key_)) return ignore(ControlIgnored::bad_tag);
    }
    ControlAction a;
    if (c.type == ControlType::ack) {
        ++acks_;
        a.kind = ControlAction::Kind::ack;
        a.sequence = c.number;
        return a;
    }
    if (c.type == ControlType::plan) {
        // With a key, the tag was verified above; without one it cannot be.
        if (!key_ && !accept_unsigned_plans_) return ignore(ControlIgnored::plan_unsigned);
        if (c.number > 0xffffffffULL || c.number == 0 ||
            plan_version(c.payload) != static_cast<std::uint32_t>(c.number)) {
            return ignore(ControlIgnored::bad_plan);
        }
        if (c.time_ms < plan_time_ms_) return ignore(ControlIgnored::stale_plan);
        if (decode_plan(c.payload, plan_) != DecodeError::ok)
            return ignore(ControlIgnored::bad_plan);
        plan_time_ms_ = c.time_ms;
        a.kind = ControlAction::Kind::plan;
        a.plan = &plan_;
        a.plan_version = static_cast<std::uint32_t>(c.number);
        return a;
    }
    if (server >= budgets_.size() || !budgets_[server].take(now_ms)) {
        return ignore(ControlIgnored::rate_limited);
    }
    Control answer;
    answer.type = ControlType::answer;
    answer.host = host_;
    answer.incarnation = incarnation_;
    answer.number = c.number;
    answer.time_ms = unix_ms < 0 ? 0 : std::min(unix_ms, kMaxSendTimeMs - 1);
    // The answer's capacity was reserved for the largest control datagram: no allocation here.
    encode_control(answer, key_ ? &*key_ : nullptr, answer_);
    ++answers_;
    a.kind = ControlAction::Kind::answer;
    a.answer = answer_;
    return a;
}

}  // namespace beat
