#include "beat_server/core/http/http_message.hpp"

#include <fmt/format.h>
#include <strings.h>

#include <algorithm>
#include <iterator>

namespace beat {

std::string_view reason_phrase(int status) noexcept {
    switch (status) {
        case 200:
            return "OK";
        case 400:
            return "Bad Request";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 413:
            return "Content Too Large";
        case 414:
            return "URI Too Long";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 503:
            return "Service Unavailable";
        case 505:
            return "HTTP Version Not Supported";
        default:
            return "Unknown";
    }
}

HttpResponse text_response(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = body.empty() ? fmt::format("{}\n", reason_phrase(status)) : std::move(body);
    return r;
}

namespace {

// The status line and headers of `r`, with `length` as its Content-Length line (empty: none) and
// `framing` the line that says how its body ends (empty: none), and the empty line.
std::string head(const HttpResponse& r, std::string_view length, std::string_view framing) {
    std::string out = fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\n{}", r.status,
                                  reason_phrase(r.status), r.content_type, length);
    const bool cache_control = std::any_of(r.headers.begin(), r.headers.end(), [](const auto& h) {
        return strcasecmp(h.first.c_str(), "Cache-Control") == 0;
    });
    // Every page shows the state of now: caches must not keep it.
    if (!cache_control) out += "Cache-Control: no-store\r\n";
    out += framing;
    for (const auto& [name, value] : r.headers)
        out += fmt::format("{}: {}\r\n", name, value);
    out += "\r\n";
    return out;
}

}  // namespace

std::string serialize(const HttpResponse& r, bool keep_alive, bool head_only) {
    std::string out = head(r, fmt::format("Content-Length: {}\r\n", r.body.size()),
                           keep_alive ? "" : "Connection: close\r\n");
    if (!head_only) out += r.body;
    return out;
}

std::string serialize_head(const HttpResponse& r, bool keep_alive, bool chunked) {
    if (!chunked) return head(r, "", "Connection: close\r\n");
    return head(r, "",
                keep_alive ? "Transfer-Encoding: chunked\r\n"
                           : "Transfer-Encoding: chunked\r\nConnection: close\r\n");
}

void append_chunk(std::string& out, std::string_view data) {
    if (data.empty()) return;
    fmt::format_to(std::back_inserter(out), "{:x}\r\n", data.size());
    out += data;
    out += "\r\n";
}

}  // namespace beat
