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

struct Request {
    enum class Kind { put, get, get_all, malformed };
    Kind kind = Kind::malformed;
    std::string_view key;        // put and get: points into the parsed line.
    double value = 0;            // put only.
    std::int64_t timestamp = 0;  // put only, seconds.
};

// True when `key` can name a series: non-empty, no space, no control character, not "*".
bool valid_key(std::string_view key) noexcept;

// Parses one request line (without its '\n'). Anything but the three well-formed requests, with
// a finite value and an integer timestamp, is Kind::malformed. Pure and allocation-free.
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
