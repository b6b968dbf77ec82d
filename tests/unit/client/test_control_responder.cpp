#include <catch2/catch.hpp>

#include <optional>
#include <string>

#include "beat_client/core/control_responder.hpp"

using namespace beat;

namespace {

constexpr std::uint64_t kIncarnation = 0x1122334455667788ULL;
constexpr std::int64_t kUnixMs = 1'700'000'000'000;

const Key kKey = *parse_key("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const Key kOtherKey =
    *parse_key("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");

std::string control(ControlType type, std::uint64_t number, const Key* key = nullptr,
                    std::string_view host = "web-1", std::uint64_t incarnation = kIncarnation) {
    Control c;
    c.type = type;
    c.host = host;
    c.incarnation = incarnation;
    c.number = number;
    c.time_ms = kUnixMs - 5;
    std::string out;
    encode_control(c, key, out);
    return out;
}

ControlResponder unsigned_agent() {
    return ControlResponder("web-1", kIncarnation, std::nullopt, 2);
}

}  // namespace

TEST_CASE("an acknowledgement of this run is handed on with its sequence", "[control_responder]") {
    ControlResponder r = unsigned_agent();
    const ControlAction a = r.on_datagram(0, control(ControlType::ack, 44), 0, kUnixMs);
    CHECK(a.kind == ControlAction::Kind::ack);
    CHECK(a.sequence == 44);
    CHECK(r.acks() == 1);
}

TEST_CASE("a probe is answered with its nonce, the agent's run and clock, no larger than it",
          "[control_responder]") {
    ControlResponder r = unsigned_agent();
    const std::string probe = control(ControlType::probe, 0xabcdef0123456789ULL);
    const ControlAction a = r.on_datagram(1, probe, 0, kUnixMs);
    REQUIRE(a.kind == ControlAction::Kind::answer);
    CHECK(a.answer.size() <= probe.size());
    ControlView v;
    REQUIRE(decode_control(a.answer, v) == DecodeError::ok);
    CHECK(v.type == ControlType::answer);
    CHECK(v.host == "web-1");
    CHECK(v.incarnation == kIncarnation);
    CHECK(v.number == 0xabcdef0123456789ULL);
    CHECK(v.time_ms == kUnixMs);
    CHECK(v.flags == 0);
    CHECK(r.answers() == 1);
}

TEST_CASE("an agent with a key signs its answers to signed probes, the same size as they are",
          "[control_responder]") {
    ControlResponder r("web-1", kIncarnation, kKey, 1);
    const std::string probe = control(ControlType::probe, 7, &kKey);
    const ControlAction a = r.on_datagram(0, probe, 0, kUnixMs);
    REQUIRE(a.kind == ControlAction::Kind::answer);
    CHECK(a.answer.size() == probe.size());
    ControlView v;
    REQUIRE(decode_control(a.answer, v) == DecodeError::ok);
    CHECK(v.flags == kFlagAuth);
    CHECK(verify_control(v, kKey));
    CHECK(v.number == 7);
}

TEST_CASE("an agent with a key ignores unsigned and wrongly signed datagrams",
          "[control_responder]") {
    ControlResponder r("web-1", kIncarnation, kKey, 1);
    auto reason = [&](const std::string& d) {
        const ControlAction a = r.on_datagram(0, d, 0, kUnixMs);
        CHECK(a.kind == ControlAction::Kind::ignore);
        return a.reason;
    };
    CHECK(reason(control(ControlType::probe, 7)) == ControlIgnored::unsigned_with_key);
    CHECK(reason(control(ControlType::ack, 7)) == ControlIgnored::unsigned_with_key);
    CHECK(reason(control(ControlType::probe, 7, &kOtherKey)) == ControlIgnored::bad_tag);
    std::string altered = control(ControlType::ack, 7, &kKey);
    altered[kControlFixed - 1] ^= 1;  // The last byte of the time.
    CHECK(reason(altered) == ControlIgnored::bad_tag);
    CHECK(r.ignored(ControlIgnored::unsigned_with_key) == 2);
    CHECK(r.ignored(ControlIgnored::bad_tag) == 2);
    CHECK(r.answers() == 0);
    CHECK(r.acks() == 0);
}

TEST_CASE("an agent without a key takes signed datagrams and answers unsigned, smaller",
          "[control_responder]") {
    ControlResponder r = unsigned_agent();
    const std::string probe = control(ControlType::probe, 9, &kKey);
    const ControlAction a = r.on_datagram(0, probe, 0, kUnixMs);
    REQUIRE(a.kind == ControlAction::Kind::answer);
    CHECK(a.answer.size() + kAuthTagLength == probe.size());
}

TEST_CASE("datagrams about another host, another run, or that do not decode are ignored",
          "[control_responder]") {
    ControlResponder r = unsigned_agent();
    auto reason = [&](std::string_view d) {
        const ControlAction a = r.on_datagram(0, d, 0, kUnixMs);
        CHECK(a.kind == ControlAction::Kind::ignore);
        return a.reason;
    };
    CHECK(reason(control(ControlType::probe, 1, nullptr, "web-2")) == ControlIgnored::other_host);
    CHECK(reason(control(ControlType::ack, 1, nullptr, "web-1", kIncarnation + 1)) ==
          ControlIgnored::other_incarnation);
    CHECK(reason(control(ControlType::answer, 1)) == ControlIgnored::wrong_type);
    CHECK(reason("BCTL") == ControlIgnored::undecodable);
    CHECK(reason("") == ControlIgnored::undecodable);
    std::string truncated = control(ControlType::probe, 1);
    truncated.pop_back();
    CHECK(reason(truncated) == ControlIgnored::undecodable);
    CHECK(r.ignored(ControlIgnored::undecodable) == 3);
    CHECK(r.ignored(ControlIgnored::other_host) == 1);
    CHECK(r.ignored(ControlIgnored::other_incarnation) == 1);
    CHECK(r.ignored(ControlIgnored::wrong_type) == 1);
    CHECK(to_string(ControlIgnored::unsigned_with_key) == "unsigned_with_key");
}

TEST_CASE("answers to a server are limited to a burst of 64 and 100 a second, per server",
          "[control_responder]") {
    ControlResponder r = unsigned_agent();
    const std::string probe = control(ControlType::probe, 1);
    int answered = 0;
    for (int i = 0; i < 200; ++i)
        answered += r.on_datagram(0, probe, 1000, kUnixMs).kind == ControlAction::Kind::answer;
    CHECK(answered == 64);
    CHECK(r.ignored(ControlIgnored::rate_limited) == 136);
    // The other server has its own budget.
    CHECK(r.on_datagram(1, probe, 1000, kUnixMs).kind == ControlAction::Kind::answer);
    // A tenth of a second later the first has 10 more.
    answered = 0;
    for (int i = 0; i < 100; ++i)
        answered += r.on_datagram(0, probe, 1100, kUnixMs).kind == ControlAction::Kind::answer;
    CHECK(answered == 10);
    // Acknowledgements are never limited.
    CHECK(r.on_datagram(0, control(ControlType::ack, 1), 2000, kUnixMs).kind ==
          ControlAction::Kind::ack);
}

namespace {

std::string plan_datagram(const Plan& plan, const Key* key, std::int64_t time_ms = kUnixMs - 5,
                          std::optional<std::uint64_t> version = std::nullopt) {
    std::string body;
    encode_plan(plan, body);
    Control c;
    c.type = ControlType::plan;
    c.host = "web-1";
    c.incarnation = kIncarnation;
    c.number = version ? *version : plan_version(body);
    c.time_ms = time_ms;
    c.payload = body;
    std::string out;
    encode_control(c, key, out);
    return out;
}

Plan two_second_plan() {
    Plan p;
    p.name = "db";
    p.interval_ms = 2000;
    return p;
}

}  // namespace

TEST_CASE("an agent with a key hands on a plan signed with it, and no other",
          "[control_responder]") {
    ControlResponder r("web-1", kIncarnation, kKey, 1);
    const Plan plan = two_second_plan();
    ControlAction a = r.on_datagram(0, plan_datagram(plan, &kKey), 0, kUnixMs);
    REQUIRE(a.kind == ControlAction::Kind::plan);
    CHECK(*a.plan == plan);
    std::string body;
    encode_plan(plan, body);
    CHECK(a.plan_version == plan_version(body));

    a = r.on_datagram(0, plan_datagram(plan, nullptr), 0, kUnixMs);
    CHECK(a.reason == ControlIgnored::unsigned_with_key);
    a = r.on_datagram(0, plan_datagram(plan, &kOtherKey), 0, kUnixMs);
    CHECK(a.reason == ControlIgnored::bad_tag);
}

TEST_CASE("an agent without a key refuses plans unless its config accepts unsigned ones",
          "[control_responder]") {
    const Plan plan = two_second_plan();
    ControlResponder strict = unsigned_agent();
    ControlAction a = strict.on_datagram(0, plan_datagram(plan, nullptr), 0, kUnixMs);
    CHECK(a.kind == ControlAction::Kind::ignore);
    CHECK(a.reason == ControlIgnored::plan_unsigned);
    // A signed plan cannot be checked without the key: the same.
    a = strict.on_datagram(0, plan_datagram(plan, &kKey), 0, kUnixMs);
    CHECK(a.reason == ControlIgnored::plan_unsigned);
    CHECK(strict.ignored(ControlIgnored::plan_unsigned) == 2);
    // Acks and probes are not plans: still handled.
    CHECK(strict.on_datagram(0, control(ControlType::ack, 4), 0, kUnixMs).kind ==
          ControlAction::Kind::ack);

    ControlResponder lax("web-1", kIncarnation, std::nullopt, 1, true);
    a = lax.on_datagram(0, plan_datagram(plan, nullptr), 0, kUnixMs);
    REQUIRE(a.kind == ControlAction::Kind::plan);
    CHECK(a.plan->interval_ms == 2000);
}

TEST_CASE("a plan must hash to the version it claims and decode", "[control_responder]") {
    ControlResponder r("web-1", kIncarnation, kKey, 1);
    const Plan plan = two_second_plan();
    ControlAction a = r.on_datagram(0, plan_datagram(plan, &kKey, kUnixMs, 12345), 0, kUnixMs);
    CHECK(a.reason == ControlIgnored::bad_plan);
    a = r.on_datagram(0, plan_datagram(plan, &kKey, kUnixMs, 0x1'0000'0000ULL), 0, kUnixMs);
    CHECK(a.reason == ControlIgnored::bad_plan);

    // A body that does not decode, under its own correct version and tag.
    Control c;
    c.type = ControlType::plan;
    c.host = "web-1";
    c.incarnation = kIncarnation;
    c.time_ms = kUnixMs;
    c.payload =
        "\x02"
        "db\x80";
    c.number = plan_version(c.payload);
    std::string d;
    encode_control(c, &kKey, d);
    CHECK(r.on_datagram(0, d, 0, kUnixMs).reason == ControlIgnored::bad_plan);
    CHECK(r.ignored(ControlIgnored::bad_plan) == 3);
}

TEST_CASE("a plan older than the last one handed on is stale, so a replay cannot undo a change",
          "[control_responder]") {
    ControlResponder r("web-1", kIncarnation, kKey, 1);
    Plan first = two_second_plan();
    Plan second = first;
    second.interval_ms = 1000;
    REQUIRE(r.on_datagram(0, plan_datagram(first, &kKey, kUnixMs - 100), 0, kUnixMs).kind ==
            ControlAction::Kind::plan);
    REQUIRE(r.on_datagram(0, plan_datagram(second, &kKey, kUnixMs), 0, kUnixMs).kind ==
            ControlAction::Kind::plan);
    const ControlAction a =
        r.on_datagram(0, plan_datagram(first, &kKey, kUnixMs - 100), 0, kUnixMs);
    CHECK(a.reason == ControlIgnored::stale_plan);
    // The same time again is not older: a resend of the newest plan goes through.
    CHECK(r.on_datagram(0, plan_datagram(second, &kKey, kUnixMs), 0, kUnixMs).kind ==
          ControlAction::Kind::plan);
}

TEST_CASE("a plan for another host or run is ignored like any control datagram",
          "[control_responder]") {
    ControlResponder r("web-2", kIncarnation, kKey, 1);
    CHECK(r.on_datagram(0, plan_datagram(two_second_plan(), &kKey), 0, kUnixMs).reason ==
          ControlIgnored::other_host);
}
