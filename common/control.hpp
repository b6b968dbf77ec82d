// The control datagram: what the server sends an agent (acknowledgements of its beats, probes
// when a beat is missing) and the agent's answer to a probe, on the same UDP port pair the beats
// use. A versioned binary format of its own, distinct from beats by its magic (docs/datagram.md,
// "Control datagrams"). Encoding and decoding are pure; the decoder never reads past its input
// and never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/key_ring.hpp"
#include "common/plan.hpp"
#include "common/wire.hpp"

namespace beat {

inline constexpr std::string_view kControlMagic{"BCTL", 4};
inline constexpr std::uint8_t kControlVersion = 1;
// Bytes before the host name: magic 4, version 1, type 1, flags 1, host_len 1, incarnation 8,
// number 8, time 8.
inline constexpr std::size_t kControlFixed = 32;
// The largest control datagram: the fixed part, a 255-byte host name, a plan (its 2-byte length
// and body) and a tag. Within kMaxDatagram, so that a plan fits one datagram.
inline constexpr std::size_t kMaxControl =
    kControlFixed + kMaxNameLength + 2 + kMaxPlanBody + kAuthTagLength;
static_assert(kMaxControl <= kMaxDatagram);

enum class ControlType : std::uint8_t {
    ack = 1,     // server -> agent: `number` is the sequence of the beat acknowledged.
    probe = 2,   // server -> agent: `number` is the server's nonce for this probe.
    answer = 3,  // agent -> server: `number` is the nonce of the probe answered.
    plan = 4,    // server -> agent: `number` is the plan's version; the payload is its body.
};

// A control datagram to encode. `host` and `incarnation` name the agent run it is about (the
// agent's own in an answer); `time_ms` is the sender's clock, Unix milliseconds. `payload` is
// the plan's body (common/plan.hpp) in a plan, and empty in every other type.
struct Control {
    ControlType type = ControlType::ack;
    std::string_view host;
    std::uint64_t incarnation = 0;
    std::uint64_t number = 0;
    std::int64_t time_ms = 0;
    std::string_view payload;
};

// A decoded control datagram; its string_views point into the buffer given to decode_control().
struct ControlView {
    ControlType type = ControlType::ack;
    std::uint8_t flags = 0;  // kFlagAuth when a tag follows.
    std::uint64_t incarnation = 0;
    std::uint64_t number = 0;
    std::int64_t time_ms = 0;
    std::string_view host;
    std::string_view payload;       // A plan's body (not decoded yet); empty in other types.
    std::string_view auth_tag;      // Empty unless kFlagAuth is set.
    std::string_view signed_bytes;  // Everything the tag covers (the datagram less the tag).
};

// True when `datagram` starts with the control magic (whatever follows): the server's UDP port
// receives both beats and answers and tells them apart by this.
bool is_control(std::string_view datagram) noexcept;

// Validates `datagram` completely and fills `out`. Errors: truncated, oversized (more than
// kMaxControl), bad_magic, bad_version, bad_type (not one of ControlType), bad_flags (a bit other
// than kFlagAuth), bad_length (host_len 0, a plan's payload empty or over kMaxPlanBody, or bytes
// left over), bad_host_name, bad_time (outside [0, kMaxSendTimeMs)). A plan's payload is
// delimited, not decoded: decode_plan() does that. Never reads outside `datagram`, never
// allocates, never throws.
DecodeError decode_control(std::string_view datagram, ControlView& out) noexcept;

// Encodes `c` into `out` (replacing its contents), with kFlagAuth and a tag under `key` when
// `key` is given. The caller guarantees a valid host name (valid_name()), a time within
// [0, kMaxSendTimeMs), and a payload of 1..kMaxPlanBody bytes in a plan and none otherwise. The
// size is kControlFixed + host size (+ 2 + payload size in a plan) (+ kAuthTagLength when
// signed).
void encode_control(const Control& c, const Key* key, std::string& out);

// True when `c` (decoded with kFlagAuth set) carries the right tag for `key`. Constant time in
// the tag's contents.
bool verify_control(const ControlView& c, const Key& key) noexcept;

}  // namespace beat
