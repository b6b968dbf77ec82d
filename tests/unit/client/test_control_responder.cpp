#include <catch2/catch.hpp>

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
