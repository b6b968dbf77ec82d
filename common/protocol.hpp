// The put/get text protocol: request parsing and reply text, shared by the server and the client.
//
// Requests, one per '\n'-terminated line, fields separated by one space:
//   put <key> <value> <timestamp>      get <key>      get *
// Replies: "ok\n", zero or more "<key> <value> <timestamp>\n" lines, then "\n"; a malformed request
// gets "error\nwrong command\n\n". A request never spans lines and the connection stays usable.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace beat {

inline constexpr std::string_view kWrongCommand = "wrong command";

// The longest key, in bytes: a heartbeat metric's key, "<host>.<metric>", with both names at the
// datagram's limit of 255 bytes.
inline constexpr std::size_t kMaxKeyLength = 511;
// Timestamps, in Unix seconds, from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z: every time a
// four-digit year can name. Earlier times than 1970 stay accepted, as they always were; the bound
// keeps a timestamp in milliseconds (or with any retention added) far inside int64.
inline constexpr std::int64_t kMinTimestamp = -62'135'596'800;
inline constexpr std::int64_t kMaxTimestamp = 253'402'300'799;

// Why a request line is malformed. Every one gets the same reply on the wire ("wrong command");
// the server counts them apart.
enum class RequestError : std::uint8_t {
    none = 0,
    bad_syntax,        // Not "put" with three fields, or "get" with one, each after one space.
    empty_key,         // The key field is empty ("get ").
    long_key,          // A key over kMaxKeyLength bytes.
    key_control,       // A key holding a control character (below 0x20, or 0x7f).
    key_not_utf8,      // A key that is not well-formed UTF-8.
    reserved_key,      // "*" as the key of a put: it means "every key" to get.
    bad_value,         // A value that is not a decimal number ("abc", "0x10", "1,5").
    non_finite_value,  // nan, inf, or a decimal beyond a double's range ("1e400").
    bad_timestamp,     // A timestamp that is not a base-10 integer within int64.
    timestamp_range,   // An integer timestamp outside [kMinTimestamp, kMaxTimestamp].
};
inline constexpr std::size_t kRequestErrorCount = 11;

// A stable lower-case name for each reason ("bad_syntax", "long_key", ...), for logs and stats.
std::string_view to_string(RequestError e) noexcept;

struct Request {
    enum class Kind { put, get, get_all, malformed };
    Kind kind = Kind::malformed;
    RequestError error = RequestError::none;  // With malformed: why; none otherwise.
    std::string_view key;                     // put and get: points into the parsed line.
    double value = 0;                         // put only.
    std::int64_t timestamp = 0;               // put only, seconds.
};

// Why `key` cannot name a series, or RequestError::none when it can: 1..kMaxKeyLength bytes of
// UTF-8 with no space and no control character, and not "*". Pure.
RequestError check_key(std::string_view key) noexcept;
inline bool valid_key(std::string_view key) noexcept {
    return check_key(key) == RequestError::none;
}

// Parses one request line (without its '\n', and without the '\r' of "\r\n", which the line
// framer drops). Spaces at the end of the line are ignored ("get k " is "get k"), since that is
// what people type at a terminal; anywhere else a field is separated by exactly one space.
// Anything but the three well-formed requests, with
// a valid key, a finite value and an integer timestamp within [kMinTimestamp, kMaxTimestamp], is
// Kind::malformed with the first reason found (the command and fields, then the key, the value,
// the timestamp). Pure and allocation-free.
Request parse_request(std::string_view line) noexcept;

// Reply text builders; each appends to `out`.
inline void append_ok(std::string& out) {
    out += "ok\n";
}
void append_point(std::string& out, std::string_view key, double value, std::int64_t timestamp);
inline void append_end(std::string& out) {
    out += '\n';
}
// "error\n<reason>\n\n"; `reason` must be one line.
void append_error(std::string& out, std::string_view reason = kWrongCommand);

// Request text builders for clients; `key` must satisfy valid_key() (or be "*" for get).
std::string format_put(std::string_view key, double value, std::int64_t timestamp);
std::string format_get(std::string_view key);

using Points = std::vector<std::pair<std::int64_t, double>>;  // (timestamp, value)
using SeriesMap = std::map<std::string, Points, std::less<>>;

// A reply read from the front of a stream of replies.
struct Reply {
    enum class Kind { need_more, ok, error, malformed };
    Kind kind = Kind::need_more;
    std::size_t consumed = 0;       // With ok, error and malformed: bytes the reply took.
    SeriesMap series;               // With ok: the points per key, each list sorted by timestamp.
    std::vector<std::string> keys;  // With ok: each key once, in the order the server sent them.
    std::string message;            // With error: the reason line; with malformed: what was wrong.
};

// Parses the first complete reply in `buf`. Bounded: a reply line longer than the line limit is
// `malformed`. Pure.
Reply parse_reply(std::string_view buf);

}  // namespace beat
