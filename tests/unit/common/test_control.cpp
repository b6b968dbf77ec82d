#include <catch2/catch.hpp>

#include <string>

#include "common/control.hpp"

using namespace beat;

namespace {

// The key of bytes 0, 1, ..., 31, which the tag below was computed with, and another.
const Key kKey = *parse_key("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const Key kOtherKey =
    *parse_key("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");

// The datagram of the example in docs/datagram.md: host "h", incarnation 1, number 2, time 3.
Control example(ControlType type) {
    Control c;
    c.type = type;
    c.host = "h";
    c.incarnation = 1;
    c.number = 2;
    c.time_ms = 3;
    return c;
}

Control sample(ControlType type = ControlType::probe) {
    Control c;
    c.type = type;
    c.host = "web-17";
    c.incarnation = 0x0123456789abcdefULL;
    c.number = 0xfedcba9876543210ULL;
    c.time_ms = 1'700'000'000'123;
    return c;
}

std::string encoded(const Control& c, const Key* key = nullptr) {
    std::string out;
    encode_control(c, key, out);
    return out;
}

DecodeError decode(std::string_view d) {
    ControlView v;
    return decode_control(d, v);
}

std::string hex(std::string_view bytes) {
    std::string out;
    for (unsigned char c : bytes)
        out += "0123456789abcdef"[c >> 4], out += "0123456789abcdef"[c & 15];
    return out;
}

}  // namespace

TEST_CASE("the control layout matches docs/datagram.md byte for byte", "[control]") {
    const std::string expected(
        "BCTL\x01\x01\x00\x01"
        "\x00\x00\x00\x00\x00\x00\x00\x01"
        "\x00\x00\x00\x00\x00\x00\x00\x02"
        "\x00\x00\x00\x00\x00\x00\x00\x03"
        "h",
        33);
    CHECK(encoded(example(ControlType::ack)) == expected);
    CHECK(expected.size() == kControlFixed + 1);
}

TEST_CASE("the control tag is HMAC-SHA256 of the bytes before it, truncated to 16 bytes",
          "[control]") {
    // Computed independently of libsodium, with Python's hmac module:
    //   hmac.new(bytes(range(32)), datagram_with_flag_set, hashlib.sha256).hexdigest()[:32]
    const std::string d = encoded(example(ControlType::probe), &kKey);
    REQUIRE(d.size() == kControlFixed + 1 + kAuthTagLength);
    CHECK(hex(d.substr(0, 8)) == "4243544c01020101");
    CHECK(hex(d.substr(d.size() - kAuthTagLength)) == "2e0ea70352bd427dc75c35c26592cf0f");
}

TEST_CASE("every control type survives encode and decode unchanged", "[control]") {
    for (ControlType type : {ControlType::ack, ControlType::probe, ControlType::answer}) {
        const Control c = sample(type);
        const std::string d = encoded(c);
        ControlView v;
        REQUIRE(decode_control(d, v) == DecodeError::ok);
        CHECK(v.type == type);
        CHECK(v.flags == 0);
        CHECK(v.host == c.host);
        CHECK(v.incarnation == c.incarnation);
        CHECK(v.number == c.number);
        CHECK(v.time_ms == c.time_ms);
        CHECK(v.auth_tag.empty());
        CHECK(v.signed_bytes == d);
        CHECK(d.size() == kControlFixed + c.host.size());
    }
}

TEST_CASE("is_control tells control datagrams from beats by their magic", "[control]") {
    CHECK(is_control(encoded(sample())));
    CHECK(is_control("BCTL"));
    CHECK_FALSE(is_control("BCT"));
    CHECK_FALSE(is_control("BEAT\x01"));
    CHECK_FALSE(is_control(""));
}

TEST_CASE("every way a control datagram can be wrong has its own decode error", "[control]") {
    const std::string good = encoded(sample());
    REQUIRE(decode(good) == DecodeError::ok);

    CHECK(decode("") == DecodeError::truncated);
    CHECK(decode("BCT") == DecodeError::truncated);
    CHECK(decode("BCTL") == DecodeError::truncated);
    CHECK(decode(good.substr(0, kControlFixed - 1)) == DecodeError::truncated);
    CHECK(decode(good.substr(0, good.size() - 1)) == DecodeError::truncated);
    CHECK(decode(std::string(kMaxControl + 1, 'B')) == DecodeError::oversized);
    CHECK(decode("BEAT\x01") == DecodeError::bad_magic);

    std::string d = good;
    d[4] = 2;
    CHECK(decode(d) == DecodeError::bad_version);
    for (char type : {'\0', '\x05', '\xff'}) {
        d = good;
        d[5] = type;
        CHECK(decode(d) == DecodeError::bad_type);
    }
    d = good;
    d[6] = 2;
    CHECK(decode(d) == DecodeError::bad_flags);
    d = good;
    d[7] = 0;
    CHECK(decode(d) == DecodeError::bad_length);
    CHECK(decode(good + "x") == DecodeError::bad_length);
    // The auth flag without a tag: the datagram ends where the tag should be.
    d = good;
    d[6] = static_cast<char>(kFlagAuth);
    CHECK(decode(d) == DecodeError::truncated);

    Control c = sample();
    c.host = "web 17";
    CHECK(decode(encoded(c)) == DecodeError::bad_host_name);
    c.host = "\xc0\xaf";  // An overlong '/'.
    CHECK(decode(encoded(c)) == DecodeError::bad_host_name);

    d = good;
    for (int i = 24; i < 32; ++i)
        d[static_cast<std::size_t>(i)] = '\xff';
    CHECK(decode(d) == DecodeError::bad_time);
    c = sample();
    c.time_ms = kMaxSendTimeMs - 1;
    CHECK(decode(encoded(c)) == DecodeError::ok);
}

TEST_CASE(
    "the largest control datagram is a plan of the largest body for a 255-byte host name, "
    "with a tag",
    "[control]") {
    const std::string host(kMaxNameLength, 'a');
    const std::string body(kMaxPlanBody, 'p');
    Control c = sample(ControlType::plan);
    c.host = host;
    c.payload = body;
    const std::string d = encoded(c, &kKey);
    CHECK(d.size() == kMaxControl);
    ControlView v;
    REQUIRE(decode_control(d, v) == DecodeError::ok);
    CHECK(v.host == host);
    CHECK(v.payload == body);
    CHECK(verify_control(v, kKey));
}

TEST_CASE("a plan carries its body after the host, with a 2-byte length, under the tag",
          "[control]") {
    Control c = sample(ControlType::plan);
    c.host = "h";
    c.payload = "xyz";
    const std::string d = encoded(c);
    CHECK(d.size() == kControlFixed + 1 + 2 + 3);
    CHECK(d.substr(kControlFixed) == std::string("h\x00\x03xyz", 6));
    ControlView v;
    REQUIRE(decode_control(d, v) == DecodeError::ok);
    CHECK(v.type == ControlType::plan);
    CHECK(v.payload == "xyz");

    const std::string s = encoded(c, &kKey);
    REQUIRE(decode_control(s, v) == DecodeError::ok);
    CHECK(v.signed_bytes == std::string_view(s).substr(0, s.size() - kAuthTagLength));
    CHECK(verify_control(v, kKey));
}

TEST_CASE("a plan's length must be 1 to the largest body and match the bytes there", "[control]") {
    Control c = sample(ControlType::plan);
    c.payload = "xyz";
    const std::string good = encoded(c);
    ControlView v;
    REQUIRE(decode_control(good, v) == DecodeError::ok);
    const std::size_t at = good.size() - 5;  // The length's two bytes.
    std::string d = good;
    d[at + 1] = 0;
    d.resize(at + 2);
    CHECK(decode_control(d, v) == DecodeError::bad_length);  // An empty plan.
    d = good;
    d[at] = 0x04;
    d[at + 1] = 0x01;  // 1025 bytes.
    CHECK(decode_control(d, v) == DecodeError::bad_length);
    CHECK(decode_control(good.substr(0, good.size() - 1), v) == DecodeError::truncated);
    CHECK(decode_control(good.substr(0, at + 1), v) == DecodeError::truncated);
    CHECK(decode_control(good + "x", v) == DecodeError::bad_length);
    // Other types carry no payload: the same bytes after an ack are left over.
    d = good;
    d[5] = static_cast<char>(ControlType::ack);
    CHECK(decode_control(d, v) == DecodeError::bad_length);
}

TEST_CASE("a signed control datagram verifies under its key only", "[control]") {
    const std::string d = encoded(sample(), &kKey);
    ControlView v;
    REQUIRE(decode_control(d, v) == DecodeError::ok);
    CHECK(v.flags == kFlagAuth);
    CHECK(v.auth_tag.size() == kAuthTagLength);
    CHECK(v.signed_bytes == std::string_view(d).substr(0, d.size() - kAuthTagLength));
    CHECK(verify_control(v, kKey));
    CHECK_FALSE(verify_control(v, kOtherKey));
}

TEST_CASE("any altered byte of a signed control datagram fails to decode or to verify",
          "[control]") {
    const std::string d = encoded(sample(), &kKey);
    for (std::size_t i = 0; i < d.size(); ++i) {
        std::string changed = d;
        changed[i] ^= 0x01;
        ControlView v;
        const bool accepted =
            decode_control(changed, v) == DecodeError::ok && verify_control(v, kKey);
        CHECK_FALSE(accepted);
    }
}

TEST_CASE("a stripped auth flag leaves a datagram that does not decode or does not verify",
          "[control]") {
    const std::string d = encoded(sample(), &kKey);
    // The flag cleared with the tag still there: bytes left over.
    std::string stripped = d;
    stripped[6] = 0;
    CHECK(decode(stripped) == DecodeError::bad_length);
    // The flag cleared and the tag cut off: an unsigned datagram, which never verifies.
    stripped.resize(d.size() - kAuthTagLength);
    ControlView v;
    REQUIRE(decode_control(stripped, v) == DecodeError::ok);
    CHECK_FALSE(verify_control(v, kKey));
}
