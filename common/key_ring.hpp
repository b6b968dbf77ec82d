// Heartbeat keys: the key file that beat_server and beat_client read, and the keys it holds.
//
// Format (one entry per line; blank lines and lines starting with '#' are ignored):
//   KEY          the shared key, used for every host without a key of its own (at most one)
//   HOST KEY     a key for one host, overriding the shared key
// A KEY is 32 bytes written as 64 hex digits or as base64 (44 characters, standard or URL-safe
// alphabet). The file must not be accessible to "others" nor writable by its group.
#pragma once

#include <sodium.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/string_hash.hpp"

namespace beat {

inline constexpr std::size_t kKeyBytes = 32;

// A key, with the HMAC-SHA256 state after absorbing it, so that a tag costs the hashing of the
// datagram only (two SHA-256 blocks less per datagram). Build keys with parse_key(),
// generate_key() or make_key(), which fill both.
struct Key {
    std::array<unsigned char, kKeyBytes> bytes{};
    crypto_auth_hmacsha256_state hmac{};
    bool operator==(const Key& o) const noexcept { return bytes == o.bytes; }
};

// The key made of `bytes`.
Key make_key(const std::array<unsigned char, kKeyBytes>& bytes);

// A key file that cannot be read or used; the message names the file, the line and the problem.
class KeyFileError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class KeyRing {
  public:
    // The key for `host`: its own, else the shared key, else nullptr.
    const Key* key_for(std::string_view host) const noexcept;
    const Key* shared() const noexcept { return shared_ ? &*shared_ : nullptr; }
    std::size_t host_keys() const noexcept { return hosts_.size(); }
    bool empty() const noexcept { return !shared_ && hosts_.empty(); }

    // Parses the text of a key file; `origin` names it in error messages. Throws KeyFileError.
    static KeyRing parse(std::string_view text, std::string_view origin = "key file");
    // Reads and parses the file at `path` (at most 16 MiB). Throws KeyFileError when it cannot be
    // read, when it is accessible to others or writable by its group, or when it does not parse.
    static KeyRing load(const std::string& path);

  private:
    std::optional<Key> shared_;
    std::unordered_map<std::string, Key, StringHash, std::equal_to<>> hosts_;
};

// Decodes 64 hex digits or 44 base64 characters into a key; nullopt for anything else.
std::optional<Key> parse_key(std::string_view text);
// A fresh random key (from the kernel's CSPRNG).
Key generate_key();
// `key` as 64 lower-case hex digits.
std::string format_key(const Key& key);

}  // namespace beat
