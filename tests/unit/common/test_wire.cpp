#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <set>

#include "common/wire.hpp"

using namespace beat;

namespace {

Heartbeat sample_beat() {
    Heartbeat hb;
    hb.host = "palm";
    hb.incarnation = 0x0123456789abcdefULL;
    hb.sequence = 42;
    hb.send_time_ms = 1'700'000'000'123;
    hb.interval_ms = 5000;
    hb.metrics = {{"cpu", 23.5}, {"mem.used_pct", 61.25}, {"load.1", 0.5}};
    return hb;
}

std::string encode_one(const Heartbeat& hb) {
    auto d = pack_beat(hb);
    REQUIRE(d.size() == 1);
    return d[0];
}

Heartbeat to_heartbeat(const HeartbeatView& v) {
    Heartbeat hb;
    hb.host = std::string(v.host);
    hb.incarnation = v.incarnation;
    hb.sequence = v.sequence;
    hb.send_time_ms = v.send_time_ms;
    hb.interval_ms = v.interval_ms;
    auto cur = v.metrics();
    MetricView m;
    while (cur.next(m))
        hb.metrics.push_back({std::string(m.name), m.value});
    return hb;
}

DecodeError decode(std::string_view d) {
    HeartbeatView v;
    return decode_heartbeat(d, v);
}

}  // namespace

TEST_CASE("a heartbeat survives encode and decode unchanged", "[wire]") {
    const Heartbeat hb = sample_beat();
    const std::string d = encode_one(hb);
    HeartbeatView v;
    REQUIRE(decode_heartbeat(d, v) == DecodeError::ok);
    CHECK(v.version == kWireVersion);
    CHECK(v.part == 0);
    CHECK(v.parts == 1);
    CHECK(v.auth_tag.empty());
    CHECK(v.signed_bytes.size() == d.size());
    CHECK(to_heartbeat(v) == hb);
}

TEST_CASE("the encoded layout matches docs/datagram.md byte for byte", "[wire]") {
    Heartbeat hb;
    hb.host = "h";
    hb.incarnation = 1;
    hb.sequence = 2;
    hb.send_time_ms = 3;
    hb.interval_ms = 1000;
    hb.metrics = {{"x", 1.0}};
    const std::string d = encode_one(hb);
    const std::string expected(
        "BEAT\x01\x00\x00\x01"
        "\x00\x00\x00\x00\x00\x00\x00\x01"
        "\x00\x00\x00\x00\x00\x00\x00\x02"
        "\x00\x00\x00\x00\x00\x00\x00\x03"
        "\x00\x00\x03\xe8"
        "\x01h"
        "\x00\x01"
        "\x01x\x3f\xf0\x00\x00\x00\x00\x00\x00",
        50);
    CHECK(d == expected);
}

TEST_CASE("random heartbeats round-trip through pack_beat and the decoder", "[wire][property]") {
    std::mt19937_64 rng(12345);
    auto rand_name = [&](std::size_t max_len) {
        static const std::string alphabet =
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:";
        std::string s(1 + rng() % max_len, 'a');
        for (char& c : s)
            c = alphabet[rng() % alphabet.size()];
        if (rng() % 8 == 0) s += "\xc3\xa9";  // A two-byte UTF-8 character.
        return s.substr(0, kMaxNameLength);
    };
    for (int iter = 0; iter < 2000; ++iter) {
        Heartbeat hb;
        hb.host = rand_name(1 + rng() % 255);
        hb.incarnation = rng();
        hb.sequence = rng();
        hb.send_time_ms = static_cast<std::int64_t>(rng() % kMaxSendTimeMs);
        hb.interval_ms = kMinIntervalMs + static_cast<std::uint32_t>(rng() % kMaxIntervalMs);
        const std::size_t n = rng() % 300;
        for (std::size_t i = 0; i < n; ++i) {
            double v;
            do {
                const std::uint64_t bits = rng();
                std::memcpy(&v, &bits, sizeof v);
            } while (!std::isfinite(v));
            hb.metrics.push_back({rand_name(1 + rng() % 60), v});
        }
        const auto datagrams = pack_beat(hb);
        Heartbeat back;
        for (std::size_t p = 0; p < datagrams.size(); ++p) {
            REQUIRE(datagrams[p].size() <= kMaxDatagram);
            HeartbeatView v;
            REQUIRE(decode_heartbeat(datagrams[p], v) == DecodeError::ok);
            REQUIRE(v.part == p);
            REQUIRE(v.parts == datagrams.size());
            Heartbeat h = to_heartbeat(v);
            if (p == 0) {
                back = h;
            } else {
                REQUIRE(h.host == back.host);
                REQUIRE(h.sequence == back.sequence);
                back.metrics.insert(back.metrics.end(), h.metrics.begin(), h.metrics.end());
            }
        }
        REQUIRE(back == hb);
    }
}

TEST_CASE("metrics that do not fit one datagram are split, never truncated", "[wire]") {
    Heartbeat hb = sample_beat();
    hb.metrics.clear();
    for (int i = 0; i < 200; ++i)
        hb.metrics.push_back({"disk./var/lib/metric" + std::to_string(i), i * 1.5});
    const auto datagrams = pack_beat(hb);
    CHECK(datagrams.size() > 1);
    std::size_t total = 0;
    for (const auto& d : datagrams) {
        CHECK(d.size() <= kMaxDatagram);
        HeartbeatView v;
        REQUIRE(decode_heartbeat(d, v) == DecodeError::ok);
        total += v.metric_count;
    }
    CHECK(total == hb.metrics.size());
}

TEST_CASE("space reserved for a tag is kept free in every datagram", "[wire]") {
    Heartbeat hb = sample_beat();
    for (int i = 0; i < 200; ++i)
        hb.metrics.push_back({"m" + std::to_string(i), 1.0});
    for (const auto& d : pack_beat(hb, kAuthTagLength))
        CHECK(d.size() + kAuthTagLength <= kMaxDatagram);
}

TEST_CASE("pack_beat leaves out metrics with bad names or non-finite values and counts them",
          "[wire]") {
    Heartbeat hb = sample_beat();
    hb.metrics.push_back({"has space", 1});
    hb.metrics.push_back({"nan", std::nan("")});
    hb.metrics.push_back({"inf", std::numeric_limits<double>::infinity()});
    hb.metrics.push_back({"", 1});
    std::size_t skipped = 0;
    const auto d = pack_beat(hb, 0, &skipped);
    CHECK(skipped == 4);
    HeartbeatView v;
    REQUIRE(decode_heartbeat(d[0], v) == DecodeError::ok);
    CHECK(v.metric_count == 3);
}

TEST_CASE("pack_beat refuses an invalid host name", "[wire]") {
    Heartbeat hb = sample_beat();
    hb.host = "bad host";
    CHECK_THROWS_AS(pack_beat(hb), std::invalid_argument);
    hb.host = "";
    CHECK_THROWS_AS(pack_beat(hb), std::invalid_argument);
}

TEST_CASE("every strict prefix of a valid datagram is rejected as truncated", "[wire]") {
    const std::string d = encode_one(sample_beat());
    for (std::size_t n = 0; n < d.size(); ++n) {
        INFO("prefix length " << n);
        CHECK(decode(d.substr(0, n)) == DecodeError::truncated);
    }
}

TEST_CASE("the decoder rejects each kind of bad datagram with its own code", "[wire]") {
    const std::string good = encode_one(sample_beat());
    REQUIRE(decode(good) == DecodeError::ok);
    auto with = [&](std::size_t at, char byte) {
        std::string d = good;
        d[at] = byte;
        return d;
    };
    CHECK(decode(std::string(kMaxDatagram + 1, 'B')) == DecodeError::oversized);
    CHECK(decode(with(0, 'X')) == DecodeError::bad_magic);
    CHECK(decode(with(4, 2)) == DecodeError::bad_version);
    CHECK(decode(with(4, 0)) == DecodeError::bad_version);
    CHECK(decode(with(5, 0x04)) == DecodeError::bad_flags);
    CHECK(decode(with(5, '\x80')) == DecodeError::bad_flags);
    CHECK(decode(with(7, 0)) == DecodeError::bad_part);  // parts == 0
    CHECK(decode(with(6, 1)) == DecodeError::bad_part);  // part == parts
    CHECK(decode(with(32, 0).replace(33, 3, std::string(3, '\0'))) == DecodeError::bad_interval);
    CHECK(decode(with(32, 0x7f)) == DecodeError::bad_interval);
    // Send time (24..31): negative as a signed number, and 2100-01-01 exactly.
    CHECK(decode(with(24, '\x80')) == DecodeError::bad_time);
    std::string y2100 = good;
    y2100.replace(24, 8, std::string("\0\0\x03\xbb\x2c\xc3\xd8\x00", 8));
    CHECK(decode(y2100) == DecodeError::bad_time);
    y2100[31] = '\xff';
    y2100[30] = '\xd7';
    CHECK(decode(y2100) == DecodeError::ok);  // One millisecond before.
    CHECK(decode(good + "x") == DecodeError::bad_length);
    // Host length 0.
    CHECK(decode(with(36, 0)) == DecodeError::bad_length);
    // Host "palm" -> "pa m", then an invalid UTF-8 byte, then a control character.
    CHECK(decode(with(39, ' ')) == DecodeError::bad_host_name);
    CHECK(decode(with(39, '\xff')) == DecodeError::bad_host_name);
    CHECK(decode(with(39, '\x01')) == DecodeError::bad_host_name);
    // First metric "cpu" starts at 37 + 4 + 2 = 43 (length byte), name at 44.
    CHECK(decode(with(43, 0)) == DecodeError::bad_length);
    CHECK(decode(with(45, '\xc0')) == DecodeError::bad_metric_name);
    CHECK(decode(with(45, '\t')) == DecodeError::bad_metric_name);
    // The value of "cpu" at 47: make it +inf (0x7ff0...) and NaN (0x7ff8...).
    std::string inf = good;
    inf.replace(47, 8, std::string("\x7f\xf0\0\0\0\0\0\0", 8));
    CHECK(decode(inf) == DecodeError::bad_value);
    std::string nan = good;
    nan.replace(47, 8, std::string("\x7f\xf8\0\0\0\0\0\0", 8));
    CHECK(decode(nan) == DecodeError::bad_value);
    // A metric count larger than the records present.
    CHECK(decode(with(42, 9)) == DecodeError::truncated);
    // A metric count smaller than the records present leaves bytes over.
    CHECK(decode(with(42, 1)) == DecodeError::bad_length);
}

TEST_CASE("a beat of an agent running a plan carries the plan's version after the host", "[wire]") {
    Heartbeat hb = sample_beat();
    const std::string plain = encode_one(hb);
    hb.plan_version = 0x1a2b3c4d;
    const std::string d = encode_one(hb);
    REQUIRE(d.size() == plain.size() + kPlanVersionLength);
    CHECK(static_cast<std::uint8_t>(d[kFlagsOffset]) == kFlagPlan);
    const std::size_t at = kHeaderFixed + hb.host.size();
    CHECK(d.substr(at, 4) == "\x1a\x2b\x3c\x4d");
    HeartbeatView v;
    REQUIRE(decode_heartbeat(d, v) == DecodeError::ok);
    CHECK(v.plan_version == 0x1a2b3c4d);
    CHECK(v.metric_count == hb.metrics.size());
    REQUIRE(decode_heartbeat(plain, v) == DecodeError::ok);
    CHECK(v.plan_version == 0);

    // Version 0 is said by leaving the flag out; the flag with 0 is refused.
    std::string zero = d;
    zero.replace(at, 4, std::string(4, '\0'));
    CHECK(decode(zero) == DecodeError::bad_flags);
    CHECK(decode(d.substr(0, at + 3)) == DecodeError::truncated);
    // Beats split in parts carry the version in every part, within the size limit.
    hb.metrics.clear();
    for (int i = 0; i < 200; ++i)
        hb.metrics.push_back({"metric.number." + std::to_string(i), i * 1.5});
    for (const std::string& part : pack_beat(hb, kAuthTagLength)) {
        CHECK(part.size() + kAuthTagLength <= kMaxDatagram);
        REQUIRE(decode_heartbeat(part, v) == DecodeError::ok);
        CHECK(v.plan_version == 0x1a2b3c4d);
    }
}

TEST_CASE("a datagram flagged as signed must carry exactly a tag's worth of bytes", "[wire]") {
    std::string d = encode_one(sample_beat());
    d[kFlagsOffset] = static_cast<char>(kFlagAuth);
    CHECK(decode(d) == DecodeError::truncated);
    const std::string signed_d = d + std::string(kAuthTagLength, '\x5a');
    HeartbeatView v;
    REQUIRE(decode_heartbeat(signed_d, v) == DecodeError::ok);
    CHECK(v.auth_tag == std::string(kAuthTagLength, '\x5a'));
    CHECK(v.signed_bytes == d);
    CHECK(decode(signed_d + "x") == DecodeError::bad_length);
}

TEST_CASE("names must be UTF-8 without spaces or control characters", "[wire]") {
    CHECK(valid_name("palm"));
    CHECK(valid_name("disk./.used_pct"));
    CHECK(valid_name("h\xc3\xa9te"));
    CHECK_FALSE(valid_name(""));
    CHECK_FALSE(valid_name(std::string(256, 'a')));
    CHECK(valid_name(std::string(255, 'a')));
    CHECK_FALSE(valid_name("a b"));
    CHECK_FALSE(valid_name("a\x7f"));
    CHECK_FALSE(valid_name("\xed\xa0\x80"));      // A UTF-16 surrogate.
    CHECK_FALSE(valid_name("\xc0\xaf"));          // Overlong '/'.
    CHECK_FALSE(valid_name("\xf4\x90\x80\x80"));  // Above U+10FFFF.
    CHECK_FALSE(valid_name("\xe2\x82"));          // Truncated sequence.
}

TEST_CASE("every decode error has a distinct name", "[wire]") {
    std::set<std::string_view> names;
    for (std::size_t i = 0; i < kDecodeErrorCount; ++i)
        names.insert(to_string(static_cast<DecodeError>(i)));
    CHECK(names.size() == kDecodeErrorCount);
    CHECK_FALSE(names.count("unknown"));
}

TEST_CASE("corrupted and random datagrams are rejected or decoded without reading past the buffer",
          "[wire][property]") {
    // Each input lives in a heap buffer of exactly its size, so that a sanitizer build catches any
    // read past the end.
    std::mt19937_64 rng(777);
    const std::string good = encode_one(sample_beat());
    std::size_t accepted = 0;
    for (int iter = 0; iter < 20'000; ++iter) {
        std::string d = good;
        switch (rng() % 4) {
            case 0:  // Flip a few bits.
                for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) {
                    d[rng() % d.size()] ^= static_cast<char>(1u << (rng() % 8));
                }
                break;
            case 1:  // Cut it short.
                d.resize(rng() % d.size());
                break;
            case 2:  // Add garbage at the end.
                d.append(1 + rng() % 40, static_cast<char>(rng()));
                break;
            default:  // Random bytes behind a valid magic and version.
                d.assign(rng() % 300, '\0');
                for (char& c : d)
                    c = static_cast<char>(rng());
                if (d.size() >= 5) d.replace(0, 5, "BEAT\x01");
                break;
        }
        auto buf = std::make_unique<char[]>(d.size() + 1);
        std::memcpy(buf.get(), d.data(), d.size());
        HeartbeatView v;
        if (decode_heartbeat(std::string_view(buf.get(), d.size()), v) == DecodeError::ok) {
            ++accepted;
            // Whatever was accepted is self-consistent: the cursor yields exactly `count` records.
            auto cur = v.metrics();
            MetricView m;
            std::size_t n = 0;
            while (cur.next(m)) {
                CHECK(valid_name(m.name));
                CHECK(std::isfinite(m.value));
                ++n;
            }
            CHECK(n == v.metric_count);
        }
    }
    // Bit flips in values and sequence numbers still decode: the test exercises both paths.
    CHECK(accepted > 0);
}
