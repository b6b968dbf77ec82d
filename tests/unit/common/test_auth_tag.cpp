#include <catch2/catch.hpp>

#include <string>

#include "common/auth_tag.hpp"

using namespace beat;

namespace {

Heartbeat sample() {
    Heartbeat hb;
    hb.host = "palm";
    hb.incarnation = 1;
    hb.sequence = 2;
    hb.send_time_ms = 3;
    hb.metrics = {{"cpu", 1.0}};
    return hb;
}

}  // namespace

TEST_CASE("a signed datagram carries the flag and a 16-byte tag that verifies", "[auth]") {
    const Key key = generate_key();
    const std::string plain = pack_beat(sample(), kAuthTagLength).at(0);
    std::string d = plain;
    sign_datagram(d, key);
    REQUIRE(d.size() == plain.size() + kAuthTagLength);
    CHECK((d[kFlagsOffset] & kFlagAuth) != 0);
    HeartbeatView v;
    REQUIRE(decode_heartbeat(d, v) == DecodeError::ok);
    CHECK(v.auth_tag.size() == kAuthTagLength);
    CHECK(v.signed_bytes.size() == plain.size());
    CHECK(verify_tag(v, key));
    CHECK_FALSE(verify_tag(v, generate_key()));
}

TEST_CASE("the tag is HMAC-SHA256 truncated to 16 bytes", "[auth]") {
    // The expected tag was computed independently of libsodium, with Python's hmac module:
    //   hmac.new(bytes(range(32)), datagram_with_flag_set, hashlib.sha256).hexdigest()[:32]
    std::array<unsigned char, kKeyBytes> bytes;
    for (std::size_t i = 0; i < kKeyBytes; ++i)
        bytes[i] = static_cast<unsigned char>(i);
    const Key key = make_key(bytes);
    std::string d = pack_beat(sample(), kAuthTagLength).at(0);
    sign_datagram(d, key);
    std::string hex;
    for (unsigned char c : d.substr(d.size() - kAuthTagLength))
        hex += "0123456789abcdef"[c >> 4], hex += "0123456789abcdef"[c & 15];
    CHECK(hex == "33bad8e2bdcf56b79cf839d93de74605");
    // Signing the same bytes again gives the same tag; any other datagram a different one.
    std::string again = pack_beat(sample(), kAuthTagLength).at(0);
    sign_datagram(again, key);
    CHECK(again == d);
    Heartbeat other = sample();
    other.sequence = 3;
    std::string third = pack_beat(other, kAuthTagLength).at(0);
    sign_datagram(third, key);
    CHECK(third.substr(third.size() - 16) != d.substr(d.size() - 16));
}

TEST_CASE("an unsigned datagram never verifies", "[auth]") {
    const std::string d = pack_beat(sample()).at(0);
    HeartbeatView v;
    REQUIRE(decode_heartbeat(d, v) == DecodeError::ok);
    CHECK_FALSE(verify_tag(v, generate_key()));
}

TEST_CASE("signing refuses a datagram with no room for the tag", "[auth]") {
    std::string full(kMaxDatagram - kAuthTagLength + 1, 'x');
    CHECK_THROWS_AS(sign_datagram(full, generate_key()), std::invalid_argument);
}
