// Fuzz driver for the authentication tags of datagrams (common/auth_tag.hpp), under one fixed
// key: bytes 0, 1, ..., 31 (the signed seeds in corpus/fuzz_datagram_auth were made with it).
//
// Invariants, for any input taken as a datagram:
// - One that decodes with the auth flag verifies exactly when its tag is the one sign_datagram()
//   computes over its signed bytes: a tag cannot be forged without the key. One that decodes
//   without the flag never verifies.
// - One that decodes without the flag and has room for a tag, once signed, decodes to the same
//   header and records with the flag set, verifies under the key and not under another; with any
//   one byte changed it no longer decodes, or no longer verifies.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/auth_tag.hpp"
#include "common/wire.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace beat::fuzz {
namespace {

Key numbered_key(unsigned char first) {
    std::array<unsigned char, kKeyBytes> bytes;
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<unsigned char>(first + i);
    return make_key(bytes);
}

const Key kKey = numbered_key(0);
const Key kOtherKey = numbered_key(1);

void check_verify(std::string_view input, const HeartbeatView& v) {
    if ((v.flags & kFlagAuth) == 0) {
        FUZZ_CHECK(!verify_tag(v, kKey));
        return;
    }
    std::string resigned(v.signed_bytes);
    sign_datagram(resigned, kKey);
    FUZZ_CHECK(verify_tag(v, kKey) == (resigned == input));
}

void check_sign(std::string_view input, const HeartbeatView& plain) {
    if ((plain.flags & kFlagAuth) != 0 || input.size() + kAuthTagLength > kMaxDatagram) return;
    std::string signed_datagram(input);
    sign_datagram(signed_datagram, kKey);
    FUZZ_CHECK(signed_datagram.size() == input.size() + kAuthTagLength);

    HeartbeatView v;
    FUZZ_CHECK(decode_heartbeat(signed_datagram, v) == DecodeError::ok);
    FUZZ_CHECK(v.flags == (plain.flags | kFlagAuth));
    FUZZ_CHECK(v.host == plain.host && v.incarnation == plain.incarnation &&
               v.sequence == plain.sequence && v.send_time_ms == plain.send_time_ms &&
               v.interval_ms == plain.interval_ms && v.part == plain.part &&
               v.parts == plain.parts && v.records == plain.records);
    std::string flagged(input);
    flagged[kFlagsOffset] = static_cast<char>(flagged[kFlagsOffset] | kFlagAuth);
    FUZZ_CHECK(v.signed_bytes == flagged);
    FUZZ_CHECK(verify_tag(v, kKey));
    FUZZ_CHECK(!verify_tag(v, kOtherKey));

    // One changed byte, chosen by the input's hash: any byte, the tag's included.
    const std::uint64_t h = fnv1a(input);
    std::string changed = signed_datagram;
    changed[h % changed.size()] ^= static_cast<char>(1 + (h >> 32) % 255);
    HeartbeatView w;
    FUZZ_CHECK(decode_heartbeat(changed, w) != DecodeError::ok || !verify_tag(w, kKey));
}

}  // namespace
}  // namespace beat::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    beat::HeartbeatView v;
    if (beat::decode_heartbeat(input, v) != beat::DecodeError::ok) return 0;
    beat::fuzz::check_verify(input, v);
    beat::fuzz::check_sign(input, v);
    return 0;
}
