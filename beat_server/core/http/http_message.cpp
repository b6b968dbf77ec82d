#include "beat_server/core/http/http_message.hpp"

#include <fmt/core.h>
#include <strings.h>

#include <algorithm>

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

std::string serialize(const HttpResponse& r, bool keep_alive, bool head_only) {
    std::string out = fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
                                  r.status, reason_phrase(r.status), r.content_type, r.body.size());
    const bool cache_control = std::any_of(r.headers.begin(), r.headers.end(), [](const auto& h) {
        return strcasecmp(h.first.c_str(), "Cache-Control") == 0;
    });
    // Every page shows the state of now: caches must not keep it.
    if (!cache_control) out += "Cache-Control: no-store\r\n";
    if (!keep_alive) out += "Connection: close\r\n";
    for (const auto& [name, value] : r.headers)
        out += fmt::format("{}: {}\r\n", name, value);
    out += "\r\n";
    if (!head_only) out += r.body;
    return out;
}

}  // namespace beat
