#include "common/protocol.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "common/float_repr.hpp"
#include "common/line_framer.hpp"

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

}  // namespace

bool valid_key(std::string_view key) noexcept {
    if (key.empty() || key == "*") return false;
    return std::none_of(key.begin(), key.end(), [](char ch) {
        const auto c = static_cast<unsigned char>(ch);
        return c <= 0x20 || c == 0x7f;
    });
}

Request parse_request(std::string_view line) noexcept {
    Request req;
    std::array<std::string_view, 4> f;
    const std::size_t n = split_fields(line, f);
    if (n == 2 && f[0] == "get") {
        if (f[1] == "*") {
            req.kind = Request::Kind::get_all;
        } else if (valid_key(f[1])) {
            req.kind = Request::Kind::get;
            req.key = f[1];
        }
        return req;
    }
    if (n == 4 && f[0] == "put" && valid_key(f[1])) {
        const auto value = parse_finite_double(f[2]);
        const auto ts = parse_int64(f[3]);
        if (value && ts) {
            req.kind = Request::Kind::put;
            req.key = f[1];
            req.value = *value;
            req.timestamp = *ts;
        }
    }
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
    auto next = [&](std::string_view& line) -> Frame::Kind {
        Frame f = next_line(buf.substr(pos));
        if (f.kind == Frame::Kind::line) {
            line = f.line;
            pos += f.consumed;
        }
        return f.kind;
    };
    auto malformed = [&](std::string msg) {
        r.kind = Reply::Kind::malformed;
        r.series.clear();
        r.keys.clear();
        r.message = std::move(msg);
        r.consumed = pos;
        return r;
    };
    std::string_view status;
    switch (next(status)) {
        case Frame::Kind::need_more:
            return r;
        case Frame::Kind::too_long:
            return malformed("reply line too long");
        case Frame::Kind::line:
            break;
    }
    if (status == "error") {
        std::string_view reason, blank;
        for (std::string_view* l : {&reason, &blank}) {
            switch (next(*l)) {
                case Frame::Kind::need_more:
                    return Reply{};
                case Frame::Kind::too_long:
                    return malformed("reply line too long");
                case Frame::Kind::line:
                    break;
            }
        }
        if (!blank.empty()) return malformed("error reply not followed by an empty line");
        r.kind = Reply::Kind::error;
        r.message = std::string(reason);
        r.consumed = pos;
        return r;
    }
    if (status != "ok") return malformed("unexpected reply line '" + std::string(status) + "'");
    while (true) {
        std::string_view line;
        switch (next(line)) {
            case Frame::Kind::need_more:
                return Reply{};
            case Frame::Kind::too_long:
                return malformed("reply line too long");
            case Frame::Kind::line:
                break;
        }
        if (line.empty()) break;
        std::array<std::string_view, 3> f;
        const auto value = split_fields(line, f) == 3 ? parse_finite_double(f[1]) : std::nullopt;
        const auto ts = value ? parse_int64(f[2]) : std::nullopt;
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
