#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "common/key_ring.hpp"

using namespace beat;

namespace {

const std::string kHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
// The same 32 bytes in base64.
const std::string kB64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

std::string parse_error(const std::string& text) {
    try {
        KeyRing::parse(text, "keys");
    } catch (const KeyFileError& e) {
        return e.what();
    }
    return "";
}

// A file in a fresh temporary directory, removed with it.
struct TempFile {
    std::string dir, path;
    TempFile(const std::string& text, mode_t mode) {
        char tmpl[] = "/tmp/beat-keys-XXXXXX";
        dir = mkdtemp(tmpl);
        path = dir + "/keys";
        std::ofstream(path) << text;
        chmod(path.c_str(), mode);
    }
    ~TempFile() {
        std::remove(path.c_str());
        rmdir(dir.c_str());
    }
};

}  // namespace

TEST_CASE("keys are read as hex or base64", "[keys]") {
    const auto a = parse_key(kHex);
    REQUIRE(a);
    CHECK(a->bytes[0] == 0);
    CHECK(a->bytes[31] == 31);
    CHECK(parse_key(kB64) == a);
    CHECK(parse_key(kB64.substr(0, 43)) == a);  // Without padding.
    CHECK(format_key(*a) == kHex);
    for (const std::string& bad : {std::string(), kHex.substr(2), kHex + "00",
                                   "zz" + kHex.substr(2), kB64.substr(4), std::string(44, '!')}) {
        INFO(bad);
        CHECK_FALSE(parse_key(bad));
    }
}

TEST_CASE("generated keys are 32 random bytes that parse back", "[keys]") {
    const Key a = generate_key(), b = generate_key();
    CHECK_FALSE(a == b);
    CHECK(parse_key(format_key(a)) == a);
}

TEST_CASE("a host's own key overrides the shared key", "[keys]") {
    const std::string other(64, 'e');
    const KeyRing r = KeyRing::parse("# fleet keys\n\n" + kHex + "\n  palm\t" + other + "  \r\n");
    REQUIRE(r.shared());
    CHECK(r.host_keys() == 1);
    CHECK(format_key(*r.key_for("palm")) == other);
    CHECK(format_key(*r.key_for("oak")) == kHex);
    const KeyRing only = KeyRing::parse("palm " + kB64);
    CHECK(only.key_for("oak") == nullptr);
    CHECK(format_key(*only.key_for("palm")) == kHex);
}

TEST_CASE("a malformed key file is refused with the line and the reason", "[keys]") {
    CHECK(parse_error("") == "keys: holds no key");
    CHECK(parse_error("# nothing\n") == "keys: holds no key");
    CHECK(parse_error(kHex + "\n" + kHex) ==
          "keys: line 2: a second shared key (only one line may hold just a key)");
    CHECK(parse_error("palm " + kHex + "\npalm " + kHex) ==
          "keys: line 2: host 'palm' has a key already");
    CHECK(parse_error("\n\nnotakey") ==
          "keys: line 3: not a key (32 bytes as 64 hex digits or base64)");
    CHECK(parse_error("palm " + kHex + " extra") ==
          "keys: line 1: expected 'KEY' or 'HOST KEY', found more words");
    CHECK(parse_error("bad\x01name " + kHex) ==
          "keys: line 1: 'bad\x01name' is not a valid host name");
}

TEST_CASE("a key file readable by others or writable by its group is refused", "[keys]") {
    const TempFile ok(kHex + "\n", 0600);
    CHECK(KeyRing::load(ok.path).shared());
    const TempFile group_read(kHex + "\n", 0640);
    CHECK(KeyRing::load(group_read.path).shared());
    for (mode_t mode : {0644, 0604, 0660, 0601}) {
        const TempFile f(kHex + "\n", mode);
        INFO(std::oct << mode);
        CHECK_THROWS_WITH(KeyRing::load(f.path),
                          Catch::Contains("it must not be accessible to others nor writable by its "
                                          "group"));
    }
    CHECK_THROWS_WITH(KeyRing::load("/nonexistent/keys"),
                      Catch::StartsWith("cannot open key file /nonexistent/keys"));
}
