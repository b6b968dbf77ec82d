#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/binary_frame.hpp"
#include "tests/binary_frames.hpp"

using namespace beat;
using namespace beat::test;
using Step = FrameDecoder::Step;

namespace {

const std::string kSeedExample(kSeedFrame);

// A frame as decoded, owning its name.
struct Decoded {
    std::uint64_t timestamp_us;
    std::string name;
    double value;
    bool operator==(const Decoded&) const = default;
};

// What a stream decodes to when cut into `chunks`: every frame, then the error if one ended it,
// and the bytes held back at the end.
struct Outcome {
    std::vector<Decoded> frames;
    FrameError error = FrameError::none;
    std::size_t held = 0;
    bool operator==(const Outcome&) const = default;
};

Outcome decode_chunks(const std::vector<std::string>& chunks) {
    FrameDecoder d;
    Outcome out;
    for (const std::string& c : chunks) {
        std::string_view rest = c;
        for (;;) {
            const Step step = d.next(rest);
            if (step == Step::frame) {
                const MetricFrame& f = d.frame();
                out.frames.push_back({f.timestamp_us, std::string(f.name), f.value});
                continue;
            }
            if (step == Step::error) {
                out.error = d.error();
                return out;
            }
            REQUIRE(rest.empty());
            break;
        }
    }
    out.held = d.buffered();
    return out;
}

Outcome decode_whole(const std::string& stream) {
    return decode_chunks({stream});
}

}  // namespace

TEST_CASE("the seed's example frame is metric = 50.123870849609375 at 1687165706240 us",
          "[binary_frame]") {
    const Outcome o = decode_whole(kSeedExample);
    REQUIRE(o.error == FrameError::none);
    REQUIRE(o.frames.size() == 1);
    CHECK(o.frames[0].timestamp_us == 1'687'165'706'240u);
    CHECK(o.frames[0].name == "metric");
    // 0x40490FDB00000000: the float32 bits of pi in the top half of a float64.
    CHECK(o.frames[0].value == 50.123870849609375);
    CHECK(o.held == 0);

    FrameDecoder d;
    std::string_view rest = kSeedExample;
    REQUIRE(d.next(rest) == Step::frame);
    CHECK(d.frame().second() == 1'687'165);
}

TEST_CASE("the seed's example split at every position decodes to the same frame",
          "[binary_frame]") {
    const Outcome whole = decode_whole(kSeedExample);
    for (std::size_t cut = 0; cut <= kSeedExample.size(); ++cut) {
        INFO("cut at " << cut);
        CHECK(decode_chunks({kSeedExample.substr(0, cut), kSeedExample.substr(cut)}) == whole);
    }
    // And fed one byte at a time, needing more after each byte but the last.
    FrameDecoder d;
    for (std::size_t i = 0; i < kSeedExample.size(); ++i) {
        std::string_view byte = std::string_view(kSeedExample).substr(i, 1);
        const Step step = d.next(byte);
        CHECK(byte.empty());
        CHECK(step == (i + 1 < kSeedExample.size() ? Step::need_more : Step::frame));
        CHECK(d.buffered() == (i + 1 < kSeedExample.size() ? i + 1 : 0));
    }
    CHECK(d.frame().name == "metric");
}

TEST_CASE("a frame wholly inside the chunk is decoded in place", "[binary_frame]") {
    const std::string stream = kSeedExample + kSeedExample;
    FrameDecoder d;
    std::string_view rest = stream;
    REQUIRE(d.next(rest) == Step::frame);
    CHECK(d.frame().name.data() == stream.data() + 9);
    CHECK(rest.size() == 23);
    REQUIRE(d.next(rest) == Step::frame);
    CHECK(d.frame().name.data() == stream.data() + 23 + 9);
    CHECK(rest.empty());
    CHECK(d.next(rest) == Step::need_more);
}

TEST_CASE("frames back to back come out in order, however the stream is cut", "[binary_frame]") {
    std::string stream;
    stream += frame_bytes(1, "a", 1.5);
    stream += frame_bytes(2'000'000, std::string(255, 'n'), -0.0);
    stream += kSeedExample;
    stream += frame_bytes(253'402'300'799'000'000, "host.cpu", 1e300);
    const Outcome whole = decode_whole(stream);
    REQUIRE(whole.frames.size() == 4);
    CHECK(whole.frames[1].name.size() == 255);
    CHECK(whole.frames[1].timestamp_us == 2'000'000);
    for (std::size_t size : {1u, 2u, 7u, 9u, 16u, 17u, 100u}) {
        std::vector<std::string> chunks;
        for (std::size_t pos = 0; pos < stream.size(); pos += size)
            chunks.push_back(stream.substr(pos, size));
        INFO("chunks of " << size);
        CHECK(decode_chunks(chunks) == whole);
    }
}

TEST_CASE("a stream that ends inside a frame holds at most one frame's bytes", "[binary_frame]") {
    const std::string longest = frame_bytes(7, std::string(255, 'x'), 1);
    REQUIRE(longest.size() == kMaxFrame);
    const Outcome o = decode_whole(longest.substr(0, kMaxFrame - 1));
    CHECK(o.frames.empty());
    CHECK(o.held == kMaxFrame - 1);
    CHECK(decode_whole(kSeedExample + kSeedExample.substr(0, 5)).held == 5);
}

TEST_CASE("each malformed frame stops the stream with its own reason", "[binary_frame]") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    std::string empty_name(17, '\0');
    CHECK(decode_whole(empty_name).error == FrameError::empty_name);
    CHECK(decode_whole(frame_bytes(1, "caf\xC3", 1)).error == FrameError::name_not_utf8);
    CHECK(decode_whole(frame_bytes(1, "\xED\xA0\x80", 1)).error == FrameError::name_not_utf8);
    CHECK(decode_whole(frame_bytes(1, "two words", 1)).error == FrameError::bad_name);
    CHECK(decode_whole(frame_bytes(1, "tab\there", 1)).error == FrameError::bad_name);
    CHECK(decode_whole(frame_bytes(1, "*", 1)).error == FrameError::bad_name);
    CHECK(decode_whole(frame_bytes(1, "m", nan)).error == FrameError::non_finite_value);
    CHECK(decode_whole(frame_bytes(1, "m", -inf)).error == FrameError::non_finite_value);
    CHECK(decode_whole(frame_bytes(std::numeric_limits<std::uint64_t>::max(), "m", 1)).error ==
          FrameError::timestamp_range);
    // The names put/get takes are taken: UTF-8, dots, '*' inside a name.
    CHECK(decode_whole(frame_bytes(1, "caf\xC3\xA9.temp*", 1)).error == FrameError::none);
}

TEST_CASE("the frames before a malformed one are decoded, and nothing after it", "[binary_frame]") {
    const std::string stream =
        kSeedExample + frame_bytes(5, "bad name", 1) + kSeedExample + std::string(3, '\0');
    for (std::size_t size : {1u, 5u, 23u, 1000u}) {
        std::vector<std::string> chunks;
        for (std::size_t pos = 0; pos < stream.size(); pos += size)
            chunks.push_back(stream.substr(pos, size));
        const Outcome o = decode_chunks(chunks);
        CHECK(o.frames.size() == 1);
        CHECK(o.error == FrameError::bad_name);
    }
    FrameDecoder d;
    std::string_view rest = stream;
    REQUIRE(d.next(rest) == Step::frame);
    REQUIRE(d.next(rest) == Step::error);
    const std::size_t left = rest.size();
    CHECK(d.next(rest) == Step::error);
    CHECK(rest.size() == left);
}

TEST_CASE("the last second of year 9999 is the latest timestamp", "[binary_frame]") {
    const std::uint64_t last = 253'402'300'799ull * 1'000'000 + 999'999;
    FrameDecoder ok;
    const std::string good = frame_bytes(last, "m", 1);
    std::string_view rest = good;
    REQUIRE(ok.next(rest) == Step::frame);
    CHECK(ok.frame().second() == 253'402'300'799);
    CHECK(decode_whole(frame_bytes(last + 1, "m", 1)).error == FrameError::timestamp_range);
}

TEST_CASE("encoding refuses a name the length byte cannot carry", "[binary_frame]") {
    std::string out;
    CHECK_THROWS_AS(encode_frame(1, "", 1, out), std::invalid_argument);
    CHECK_THROWS_AS(encode_frame(1, std::string(256, 'n'), 1, out), std::invalid_argument);
    CHECK(out.empty());
    encode_frame(1'687'165'706'240, "metric", 50.123870849609375, out);
    CHECK(out == kSeedExample);
}

TEST_CASE("every reason has a name", "[binary_frame]") {
    for (std::size_t i = 0; i < kFrameErrorCount; ++i)
        CHECK(to_string(static_cast<FrameError>(i)) != "unknown");
    CHECK(to_string(FrameError::non_finite_value) == "non_finite_value");
}
