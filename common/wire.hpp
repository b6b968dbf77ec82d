// The heartbeat datagram: a compact, versioned binary format (docs/datagram.md describes it byte
// by byte). Encoding and decoding are pure functions; the decoder never reads past its input and
// never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace beat {

inline constexpr std::size_t kMaxDatagram = 1400;  // Bytes, including the optional tag.
inline constexpr std::uint8_t kWireVersion = 1;
inline constexpr std::size_t kHeaderFixed = 37;     // Bytes before the host name.
inline constexpr std::size_t kFlagsOffset = 5;      // The flags byte, after magic and version.
inline constexpr std::size_t kMaxNameLength = 255;  // Host and metric names, in bytes.
inline constexpr std::size_t kMaxParts = 255;       // Datagrams one beat may be split into.
inline constexpr std::size_t kAuthTagLength = 16;   // Reserved for authenticated datagrams.
inline constexpr std::uint8_t kFlagAuth = 0x01;     // A kAuthTagLength tag follows the records.
inline constexpr std::uint8_t kFlagPlan = 0x02;     // A 4-byte plan version follows the host.
inline constexpr std::size_t kPlanVersionLength = 4;
inline constexpr std::uint32_t kMinIntervalMs = 10;
inline constexpr std::uint32_t kMaxIntervalMs = 86'400'000;
// Send times are Unix milliseconds from 1970 up to (not including) 2100-01-01.
inline constexpr std::int64_t kMaxSendTimeMs = 4'102'444'800'000;

// Why a datagram was rejected. Each value is distinct so that the server can count by reason.
enum class DecodeError : std::uint8_t {
    ok = 0,
    truncated,        // The buffer ends inside a field.
    oversized,        // More than kMaxDatagram bytes.
    bad_magic,        // Does not start with "BEAT" (or "BCTL" for a control datagram).
    bad_version,      // A version this build does not speak.
    bad_flags,        // A reserved flag bit is set.
    bad_part,         // parts == 0 or part >= parts.
    bad_interval,     // Interval outside [kMinIntervalMs, kMaxIntervalMs].
    bad_length,       // A zero-length name, or bytes left over after the last field.
    bad_host_name,    // Not UTF-8, or holds a control character or a space.
    bad_metric_name,  // Not UTF-8, or holds a control character or a space.
    bad_value,        // A metric value that is NaN or infinite.
    bad_time,         // A send time outside [0, kMaxSendTimeMs).
    bad_type,         // A control datagram (common/control.hpp) of a type this build does not know.
};
inline constexpr std::size_t kDecodeErrorCount = 14;

// A stable lower-case name for each error ("truncated", "bad_magic", ...), used in logs and stats.
std::string_view to_string(DecodeError e) noexcept;

// One (name, value) record as it is sent.
struct Metric {
    std::string name;
    double value = 0;
    bool operator==(const Metric&) const = default;
};

// A beat as the agent builds it.
struct Heartbeat {
    std::string host;
    std::uint64_t incarnation = 0;
    std::uint64_t sequence = 0;
    std::int64_t send_time_ms = 0;  // Unix time in milliseconds, from the agent's clock.
    std::uint32_t interval_ms = 5000;
    // The version of the plan the agent runs (common/plan.hpp); 0: none, and kFlagPlan is not set.
    std::uint32_t plan_version = 0;
    std::vector<Metric> metrics;
    bool operator==(const Heartbeat&) const = default;
};

// A metric record that points into a decoded buffer.
struct MetricView {
    std::string_view name;
    double value;
};

// Iterates over the metric records of a datagram that decode_heartbeat() has validated.
class MetricCursor {
  public:
    MetricCursor(std::string_view records, std::uint16_t count) noexcept
        : rest_(records), left_(count) {}
    // Stores the next record in `out` and returns true, or returns false when none is left.
    bool next(MetricView& out) noexcept;

  private:
    std::string_view rest_;
    std::uint16_t left_;
};

// A decoded datagram. Every string_view points into the buffer given to decode_heartbeat(), which
// must outlive it.
struct HeartbeatView {
    std::uint8_t version = 0;
    std::uint8_t flags = 0;
    std::uint8_t part = 0;
    std::uint8_t parts = 1;
    std::uint64_t incarnation = 0;
    std::uint64_t sequence = 0;
    std::int64_t send_time_ms = 0;
    std::uint32_t interval_ms = 0;
    std::string_view host;
    std::uint32_t plan_version = 0;  // 0 unless kFlagPlan is set (and then never 0).
    std::uint16_t metric_count = 0;
    std::string_view records;       // The raw metric records; walk them with metrics().
    std::string_view auth_tag;      // Empty unless kFlagAuth is set.
    std::string_view signed_bytes;  // Everything the tag covers (the datagram less the tag).

    MetricCursor metrics() const noexcept { return {records, metric_count}; }
};

// Validates `datagram` completely and fills `out`. Returns DecodeError::ok on success; on any other
// result `out` is unspecified. Never reads outside `datagram`, never allocates, never throws.
DecodeError decode_heartbeat(std::string_view datagram, HeartbeatView& out) noexcept;

// True when `name` is a valid host or metric name: 1..kMaxNameLength bytes of UTF-8 with no
// control character and no space.
bool valid_name(std::string_view name) noexcept;

// Bytes that `metric` takes in a datagram.
inline std::size_t encoded_size(const Metric& metric) noexcept {
    return 1 + metric.name.size() + 8;
}

// Encodes one datagram holding `hb`'s header (its `metrics` are ignored) and `metrics`, marked as
// part `part` of `parts`. The caller guarantees valid names, finite values and that the result
// fits kMaxDatagram (pack_beat() does all three); no tag is appended.
std::string encode_datagram(const Heartbeat& hb, std::span<const Metric> metrics, std::uint8_t part,
                            std::uint8_t parts);

// Encodes a whole beat as one or more datagrams of at most `max_size` bytes (default
// kMaxDatagram, less `reserve` bytes kept free for a tag), splitting the metrics between them in
// order and never truncating one. Metrics with an invalid name or a non-finite value are left out
// and counted in `*skipped` when it is given. Throws std::invalid_argument when the host name is
// invalid or the beat needs more than 255 datagrams.
std::vector<std::string> pack_beat(const Heartbeat& hb, std::size_t reserve = 0,
                                   std::size_t* skipped = nullptr,
                                   std::size_t max_size = kMaxDatagram);

}  // namespace beat
