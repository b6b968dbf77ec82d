#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>

#include "common/utf8.hpp"

using namespace beat;

namespace {

// RFC 3629 written the other way round from valid_utf8: decode each sequence by its bit pattern
// and then check the code point it gives.
bool reference_valid(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len;
        std::uint32_t cp;
        if ((c & 0x80) == 0) {
            ++i;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (s.size() - i < len) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        const std::uint32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += len;
    }
    return true;
}

std::string encode(std::uint32_t cp) {
    std::string s;
    if (cp < 0x80) {
        s += static_cast<char>(cp);
    } else if (cp < 0x800) {
        s += static_cast<char>(0xc0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        s += static_cast<char>(0xe0 | (cp >> 12));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        s += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
        s += static_cast<char>(0xf0 | (cp >> 18));
        s += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
        s += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
        s += static_cast<char>(0x80 | (cp & 0x3f));
    }
    return s;
}

}  // namespace

TEST_CASE("ASCII and ordinary UTF-8 text is valid", "[utf8]") {
    CHECK(valid_utf8(""));
    CHECK(valid_utf8("web-01.example.org"));
    CHECK(valid_utf8("temp\xc3\xa9rature"));          // é
    CHECK(valid_utf8("\xe2\x82\xac"));                // €
    CHECK(valid_utf8("\xf0\x9f\x92\x93 heartbeat"));  // 💓
    CHECK(valid_utf8(std::string_view("a\0b", 3)));
}

TEST_CASE("every Unicode scalar value is valid, alone and in a row", "[utf8]") {
    std::string all;
    for (std::uint32_t cp = 0; cp <= 0x10ffff; ++cp) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        const std::string s = encode(cp);
        if (!valid_utf8(s)) FAIL("U+" << std::hex << cp << " refused");
        all += s;
    }
    CHECK(valid_utf8(all));
}

TEST_CASE("malformed sequences are refused", "[utf8]") {
    CHECK_FALSE(valid_utf8("\x80"));  // A lone continuation byte.
    CHECK_FALSE(valid_utf8("\xbf"));
    CHECK_FALSE(valid_utf8("\xc3"));  // Truncated.
    CHECK_FALSE(valid_utf8("\xe2\x82"));
    CHECK_FALSE(valid_utf8("\xf0\x9f\x92"));
    CHECK_FALSE(valid_utf8("abc\xc3"));
    CHECK_FALSE(valid_utf8("\xc3("));  // Not a continuation byte.
    CHECK_FALSE(valid_utf8("\xe2\x28\xa1"));
    CHECK_FALSE(valid_utf8("\xe2\x82\x28"));
    CHECK_FALSE(valid_utf8("\xf0\x9f\x92\x28"));
    CHECK_FALSE(valid_utf8("\xc0\xaf"));  // Overlong "/".
    CHECK_FALSE(valid_utf8("\xc1\xbf"));
    CHECK_FALSE(valid_utf8("\xe0\x80\xaf"));
    CHECK_FALSE(valid_utf8("\xe0\x9f\xbf"));
    CHECK_FALSE(valid_utf8("\xf0\x80\x80\xaf"));
    CHECK_FALSE(valid_utf8("\xf0\x8f\xbf\xbf"));
    CHECK_FALSE(valid_utf8("\xed\xa0\x80"));  // Surrogates.
    CHECK_FALSE(valid_utf8("\xed\xbf\xbf"));
    CHECK_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // Above U+10FFFF.
    CHECK_FALSE(valid_utf8("\xf5\x80\x80\x80"));
    CHECK_FALSE(valid_utf8("\xf8\x88\x80\x80\x80"));
    CHECK_FALSE(valid_utf8("\xfe"));
    CHECK_FALSE(valid_utf8("\xff"));
}

TEST_CASE("valid_utf8 agrees with a bitwise decoder on every string of up to three bytes",
          "[utf8]") {
    char buf[3];
    for (std::size_t len = 1; len <= 3; ++len) {
        for (std::uint32_t n = 0; n < (1u << (8 * len)); ++n) {
            for (std::size_t k = 0; k < len; ++k)
                buf[k] = static_cast<char>((n >> (8 * k)) & 0xff);
            const std::string_view s(buf, len);
            if (valid_utf8(s) != reference_valid(s)) FAIL("disagree on " << std::hex << n);
        }
    }
    SUCCEED();
}

TEST_CASE("valid_utf8 agrees with a bitwise decoder on random high-byte strings", "[utf8]") {
    std::mt19937_64 rng(3629);
    std::string s;
    for (int i = 0; i < 1'000'000; ++i) {
        s.clear();
        const std::size_t len = 1 + rng() % 8;
        for (std::size_t k = 0; k < len; ++k) {
            // Lead bytes and continuation bytes mostly, so that four-byte forms are common.
            const std::uint64_t r = rng();
            s += static_cast<char>(r % 3 == 0 ? 0xf0 | (r >> 8) % 8 : 0x80 | (r >> 8) % 64);
        }
        if (valid_utf8(s) != reference_valid(s)) FAIL("disagree on a string of " << len);
    }
    SUCCEED();
}
