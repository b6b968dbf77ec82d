#include "common/protocol.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <system_error>

#include "common/float_repr.hpp"
#include "common/line_framer.hpp"
#include "common/parse_number.hpp"
#include "common/utf8.hpp"
#include "common/wire.hpp"

namespace beat {
namespace {

// Splits `line` at single spaces into at most N fields; returns how many, or N + 1 when there are
// more. Empty fields (two spaces in a row, a leading or trailing space) are kept as empty views.
template <std::size_t N>
std::size_t split_fields(std::string_view line, std::array<std::string_view, N>& out) noexcept {
    std::size_t n = 0;
    while (true) {
        const std::size_t sp = line.find(' ');
        if (n == N) return N + 1;
        out[n++] = line.substr(0, sp);
        if (sp == std::string_view::npos) return n;
        line.remove_prefix(sp + 1);
    }
}

// For value text that parse_finite_double() refused: true when it does spell a number, only not
// a finite one (nan, inf, infinity in any case and with one sign, or a decimal that overflows).
bool non_finite_number(std::string_view s) noexcept {
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) s.remove_prefix(1);
    if (s.empty() || s.front() == '+' || s.front() == '-') return false;
    double v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ptr == s.data() + s.size() &&
           (ec == std::errc::result_out_of_range || !std::isfinite(v));
}

Request malformed(RequestError why) noexcept {
    Request req;
    req.error = why;
    return req;
}

}  // namespace

static_assert(kMaxKeyLength == 2 * kMaxNameLength + 1, "a heartbeat metric's key must fit");

std::string_view to_string(RequestError e) noexcept {
    switch (e) {
        case RequestError::none:
            return "none";
        case RequestError::bad_syntax:
            return "bad_syntax";
        case RequestError::empty_key:
            return "empty_key";
        case RequestError::long_key:
            return "long_key";
        case RequestError::key_control:
            return "key_control";
        case RequestError::key_not_utf8:
            return "key_not_utf8";
        case RequestError::reserved_key:
            return "reserved_key";
        case RequestError::bad_value:
            return "bad_value";
        case RequestError::non_finite_value:
            return "non_finite_value";
        case RequestError::bad_timestamp:
            return "bad_timestamp";
        case RequestError::timestamp_range:
            return "timestamp_range";
    }
    return "unknown";
}

RequestError check_key(std::string_view key) noexcept {
    if (key.empty()) return RequestError::empty_key;
    if (key.size() > kMaxKeyLength) return RequestError::long_key;
    bool multibyte = false;
    for (const char ch : key) {
        const auto c = static_cast<unsigned char>(ch);
        if (c <= 0x20 || c == 0x7f) return RequestError::key_control;
        multibyte |= c >= 0x80;
    }
    // Keys are nearly always ASCII, which is valid UTF-8 as it stands.
    if (multibyte && !valid_utf8(key)) return RequestError::key_not_utf8;
    if (key == "*") return RequestError::reserved_key;
    return RequestError::none;
}

Request parse_request(std::string_view line) noexcept {
    // What a person types at telnet or nc often ends in a space before the newline.
    while (!line.empty() && line.back() == ' ')
        line.remove_suffix(1);
    std::array<std::string_view, 4> f;
    const std::size_t n = split_fields(line, f);
    Request req;
    if (n == 2 && f[0] == "get") {
        if (f[1] == "*") {
            req.kind = Request::Kind::get_all;
            return req;
        }
        if (const RequestError e = check_key(f[1]); e != RequestError::none) return malformed(e);
        req.kind = Request::Kind::get;
        req.key = f[1];
        return req;
    }
    if (n != 4 || f[0] != "put") return malformed(RequestError::bad_syntax);
    if (const RequestError e = check_key(f[1]); e != RequestError::none) return malformed(e);
    const auto value = parse_finite_double(f[2]);
    if (!value) {
        return malformed(non_finite_number(f[2]) ? RequestError::non_finite_value
                                                 : RequestError::bad_value);
    }
    const auto ts = parse_i64(f[3], PlusSign::accepted);
    if (!ts) return malformed(RequestError::bad_timestamp);
    if (*ts < kMinTimestamp || *ts > kMaxTimestamp) return malformed(RequestError::timestamp_range);
    req.kind = Request::Kind::put;
    req.key = f[1];
    req.value = *value;
    req.timestamp = *ts;
    return req;
}

void append_point(std::string& out, std::string_view key, double value, std::int64_t timestamp) {
    out += key;
    out += ' ';
    append_float_repr(out, value);
    out += ' ';
    char buf[24];
    auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, timestamp);
    out.append(buf, ptr);
    out += '\n';
}

void append_error(std::string& out, std::string_view reason) {
    out += "error\n";
    out += reason;
    out += "\n\n";
}

std::string format_put(std::string_view key, double value, std::int64_t timestamp) {
    std::string s = "put ";
    append_point(s, key, value, timestamp);
    return s;
}

std::string format_get(std::string_view key) {
    std::string s = "get ";
    s += key;
    s += '\n';
    return s;
}

Reply parse_reply(std::string_view buf) {
    Reply r;
    std::size_t pos = 0;
    auto malformed = [&](std::string msg) {
        r.kind = Reply::Kind::malformed;
        r.series.clear();
        r.keys.clear();
        r.message = std::move(msg);
        r.consumed = pos;
        return r;
    };
    // Reads the next line into `line` and returns true; or, when there is no complete line,
    // returns false with `stop` set to the answer: not complete yet (nothing consumed), or
    // malformed for a line over the limit.
    Reply stop;
    auto next = [&](std::string_view& line) {
        const Frame f = next_line(buf.substr(pos));
        switch (f.kind) {
            case Frame::Kind::need_more:
                stop = Reply{};
                return false;
            case Frame::Kind::too_long:
                stop = malformed("reply line too long");
                return false;
            case Frame::Kind::line:
                break;
        }
        line = f.line;
        pos += f.consumed;
        return true;
    };
    std::string_view status;
    if (!next(status)) return stop;
    if (status == "error") {
        std::string_view reason, blank;
        if (!next(reason) || !next(blank)) return stop;
        if (!blank.empty()) return malformed("error reply not followed by an empty line");
        r.kind = Reply::Kind::error;
        r.message = std::string(reason);
        r.consumed = pos;
        return r;
    }
    if (status != "ok") return malformed("unexpected reply line '" + std::string(status) + "'");
    while (true) {
        std::string_view line;
        if (!next(line)) return stop;
        if (line.empty()) break;
        std::array<std::string_view, 3> f;
        const auto value = split_fields(line, f) == 3 ? parse_finite_double(f[1]) : std::nullopt;
        const auto ts = value ? parse_i64(f[2], PlusSign::accepted) : std::nullopt;
        if (!ts || f[0].empty())
            return malformed("cannot parse reply line '" + std::string(line) + "'");
        auto [it, added] = r.series.try_emplace(std::string(f[0]));
        if (added) r.keys.push_back(it->first);
        it->second.emplace_back(*ts, *value);
    }
    for (auto& [key, points] : r.series) {
        std::stable_sort(points.begin(), points.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
    }
    r.kind = Reply::Kind::ok;
    r.consumed = pos;
    return r;
}

}  // namespace beat
