#include <catch2/catch.hpp>

#include <string>

#include "beat_server/core/ingest/auth_policy.hpp"
#include "common/auth_tag.hpp"

using namespace beat;

namespace {

const std::string kShared(64, 'a');
const std::string kPalm(64, 'b');
const std::string kOak(64, 'c');

const KeyRing& ring() {
    static const KeyRing r = KeyRing::parse(kShared + "\npalm " + kPalm + "\noak " + kOak + "\n");
    return r;
}

Key key(const std::string& hex) {
    return *parse_key(hex);
}

constexpr std::int64_t kNow = 1'700'000'000'000;

std::string beat_of(const std::string& host, std::int64_t send_ms = kNow) {
    Heartbeat hb;
    hb.host = host;
    hb.incarnation = 9;
    hb.sequence = 1;
    hb.send_time_ms = send_ms;
    hb.metrics = {{"cpu", 1.5}};
    return pack_beat(hb, kAuthTagLength).at(0);
}

std::string signed_beat(const std::string& host, const std::string& hex,
                        std::int64_t send_ms = kNow) {
    std::string d = beat_of(host, send_ms);
    sign_datagram(d, key(hex));
    return d;
}

AuthVerdict check(AuthMode mode, const std::string& d, std::int64_t now = kNow) {
    HeartbeatView v;
    REQUIRE(decode_heartbeat(d, v) == DecodeError::ok);
    return check_auth(AuthPolicy{mode, &ring(), 300'000}, v, now);
}

}  // namespace

TEST_CASE("required: a beat signed with its host's key is authenticated", "[auth]") {
    const auto v = check(AuthMode::required, signed_beat("palm", kPalm));
    CHECK(v.ok);
    CHECK(v.authenticated);
}

TEST_CASE("required: a host without its own key uses the shared key", "[auth]") {
    CHECK(check(AuthMode::required, signed_beat("elm", kShared)).ok);
    // A host with its own key may not use the shared one.
    const auto v = check(AuthMode::required, signed_beat("palm", kShared));
    CHECK_FALSE(v.ok);
    CHECK(v.reason == Refusal::auth_bad_tag);
}

TEST_CASE("required: another host's key, a wrong key or a missing tag is refused", "[auth]") {
    auto refused = [](const std::string& d) {
        const auto v = check(AuthMode::required, d);
        CHECK_FALSE(v.ok);
        CHECK_FALSE(v.authenticated);
        return v.reason;
    };
    CHECK(refused(signed_beat("palm", kOak)) == Refusal::auth_bad_tag);
    CHECK(refused(signed_beat("palm", std::string(64, 'f'))) == Refusal::auth_bad_tag);
    CHECK(refused(beat_of("palm")) == Refusal::auth_missing);
}

TEST_CASE("every single-bit change to a signed beat is caught", "[auth]") {
    const std::string good = signed_beat("palm", kPalm);
    std::size_t decoded = 0;
    for (std::size_t byte = 0; byte < good.size(); ++byte) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string d = good;
            d[byte] = static_cast<char>(d[byte] ^ (1 << bit));
            HeartbeatView v;
            if (decode_heartbeat(d, v) != DecodeError::ok) continue;
            ++decoded;
            INFO("byte " << byte << " bit " << bit);
            // The flag bit cleared leaves an untagged datagram with 16 bytes over: bad_length.
            CHECK_FALSE(check_auth(AuthPolicy{AuthMode::required, &ring(), 300'000}, v, kNow).ok);
        }
    }
    CHECK(decoded > good.size());  // Most flips still decode; the tag is what catches them.
}

TEST_CASE("a signed beat from outside the clock-skew bound is refused", "[auth]") {
    CHECK(check(AuthMode::required, signed_beat("palm", kPalm, kNow - 300'000)).ok);
    CHECK(check(AuthMode::required, signed_beat("palm", kPalm, kNow + 300'000)).ok);
    const auto old = check(AuthMode::required, signed_beat("palm", kPalm, kNow - 300'001));
    CHECK_FALSE(old.ok);
    CHECK(old.reason == Refusal::clock_skew);
    CHECK(check(AuthMode::required, signed_beat("palm", kPalm, kNow + 300'001)).reason ==
          Refusal::clock_skew);
}

TEST_CASE("optional: untagged beats pass, tagged ones must be right", "[auth]") {
    const auto plain = check(AuthMode::optional, beat_of("palm"));
    CHECK(plain.ok);
    CHECK_FALSE(plain.authenticated);
    CHECK(check(AuthMode::optional, signed_beat("palm", kPalm)).authenticated);
    CHECK(check(AuthMode::optional, signed_beat("palm", kOak)).reason == Refusal::auth_bad_tag);
}

TEST_CASE("a tagged beat for a host no key covers is refused as auth_no_key", "[auth]") {
    const KeyRing only_palm = KeyRing::parse("palm " + kPalm);
    HeartbeatView v;
    const std::string d = signed_beat("elm", kPalm);
    REQUIRE(decode_heartbeat(d, v) == DecodeError::ok);
    const auto r = check_auth(AuthPolicy{AuthMode::required, &only_palm, 300'000}, v, kNow);
    CHECK_FALSE(r.ok);
    CHECK(r.reason == Refusal::auth_no_key);
}

TEST_CASE("off: tags are not looked at", "[auth]") {
    const auto v = check(AuthMode::off, signed_beat("palm", kOak));
    CHECK(v.ok);
    CHECK_FALSE(v.authenticated);
}
