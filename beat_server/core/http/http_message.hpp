// HTTP/1.1 requests as the HTTP port hands them on, and the responses it writes. Pure.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace beat {

// One parsed request. The body, if any, is read and dropped: no route takes one.
struct HttpRequest {
    std::string method;      // As sent: "GET", "HEAD", "POST", ...
    std::string target;      // As sent: the path and an optional query, e.g. "/hosts?x=1".
    bool keep_alive = true;  // The connection stays open after the response.
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    // Headers beyond Content-Type, Content-Length and Connection, e.g. {"Allow", "GET, HEAD"}.
    std::vector<std::pair<std::string, std::string>> headers;
};

// The standard reason phrase of `status` ("OK", "Not Found", ...), "Unknown" for others.
std::string_view reason_phrase(int status) noexcept;

// A plain-text response: `status` with `body`, or its reason phrase and a newline when `body` is
// empty.
HttpResponse text_response(int status, std::string body = {});

// The bytes of `r` on the wire: the HTTP/1.1 status line, Content-Type, Content-Length,
// "Cache-Control: no-store" unless `r.headers` has a Cache-Control of its own, "Connection: close"
// unless `keep_alive`, the extra headers, an empty line, then the body unless `head_only` (a HEAD
// request gets the GET response's headers, Content-Length included, and no body). Header names
// and values are written as given: they must not hold CR or LF.
std::string serialize(const HttpResponse& r, bool keep_alive, bool head_only);

}  // namespace beat
