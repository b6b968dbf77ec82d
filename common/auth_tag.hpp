// Authentication tags on heartbeat datagrams: HMAC-SHA256 over every byte before the tag,
// truncated to kAuthTagLength bytes (docs/datagram.md).
#pragma once

#include <string>
#include <string_view>

#include "common/key_ring.hpp"
#include "common/wire.hpp"

namespace beat {

// Appends to `out` the kAuthTagLength-byte tag of `bytes` under `key` (HMAC-SHA256, truncated).
// Beats and control datagrams (common/control.hpp) are tagged alike.
void append_tag(std::string& out, std::string_view bytes, const Key& key);

// True when `tag` is the tag of `bytes` under `key`. Constant time in the tag's contents.
bool tag_matches(std::string_view bytes, std::string_view tag, const Key& key) noexcept;

// Marks `datagram` (as encode_datagram() or pack_beat() made it, with at least kAuthTagLength
// bytes of room under kMaxDatagram) as authenticated and appends its tag under `key`.
void sign_datagram(std::string& datagram, const Key& key);

// True when `hb` (decoded with kFlagAuth set) carries the right tag for `key`. Constant time in
// the tag's contents.
bool verify_tag(const HeartbeatView& hb, const Key& key) noexcept;

}  // namespace beat
