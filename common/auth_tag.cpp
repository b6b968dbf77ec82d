#include "common/auth_tag.hpp"

#include <sodium.h>

#include <stdexcept>

#include "common/sodium_init.hpp"

namespace beat {
namespace {

void full_tag(std::string_view bytes, const Key& key,
              unsigned char (&out)[crypto_auth_hmacsha256_BYTES]) noexcept {
    crypto_auth_hmacsha256(out, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                           key.bytes.data());
}

}  // namespace

void append_tag(std::string& out, std::string_view bytes, const Key& key) {
    ensure_sodium();
    unsigned char tag[crypto_auth_hmacsha256_BYTES];
    full_tag(bytes, key, tag);
    out.append(reinterpret_cast<const char*>(tag), kAuthTagLength);
}

bool tag_matches(std::string_view bytes, std::string_view tag, const Key& key) noexcept {
    if (tag.size() != kAuthTagLength) return false;
    unsigned char full[crypto_auth_hmacsha256_BYTES];
    full_tag(bytes, key, full);
    return sodium_memcmp(full, tag.data(), kAuthTagLength) == 0;
}

void sign_datagram(std::string& datagram, const Key& key) {
    ensure_sodium();
    if (datagram.size() <= kFlagsOffset || datagram.size() + kAuthTagLength > kMaxDatagram)
        throw std::invalid_argument("datagram has no room for an authentication tag");
    datagram[kFlagsOffset] = static_cast<char>(datagram[kFlagsOffset] | kFlagAuth);
    unsigned char tag[crypto_auth_hmacsha256_BYTES];
    full_tag(datagram, key, tag);
    datagram.append(reinterpret_cast<const char*>(tag), kAuthTagLength);
}

bool verify_tag(const HeartbeatView& hb, const Key& key) noexcept {
    if ((hb.flags & kFlagAuth) == 0 || hb.auth_tag.size() != kAuthTagLength) return false;
    unsigned char tag[crypto_auth_hmacsha256_BYTES];
    full_tag(hb.signed_bytes, key, tag);
    return sodium_memcmp(tag, hb.auth_tag.data(), kAuthTagLength) == 0;
}

}  // namespace beat
