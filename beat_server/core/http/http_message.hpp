// HTTP/1.1 requests as the HTTP port hands them on, and the responses it writes. Pure.
#pragma once

#include <cstddef>
#include <memory>
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
    bool http11 = true;      // HTTP/1.1, which reads a chunked body; false for HTTP/1.0.
};

// A response body produced a slice at a time as the connection takes it, for a page too large to
// be built in one go on the loop. The source holds whatever it reads between slices; what it
// lists when that changes meanwhile is its own contract.
class BodySource {
  public:
    virtual ~BodySource() = default;

    // Appends the next slice of the body to `out`, about `budget` bytes (a slice may end a little
    // beyond it, or append nothing while the source prepares); returns true once the body is
    // complete, and from then on appends nothing. May throw: the body then ends unfinished.
    virtual bool write(std::string& out, std::size_t budget) = 0;
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    // Set: the body is produced by this source in slices, and `body` is not sent.
    std::unique_ptr<BodySource> stream;
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

// The head of a response whose body comes from `r.stream`, as serialize() writes it but with no
// Content-Length: "Transfer-Encoding: chunked" when `chunked` (an HTTP/1.1 client), or else
// "Connection: close", since only the end of the connection can end the body for an HTTP/1.0
// client (`keep_alive` is then ignored).
std::string serialize_head(const HttpResponse& r, bool keep_alive, bool chunked);

// Appends `data` as one chunk of a chunked body; nothing when `data` is empty, since an empty
// chunk ends the body.
void append_chunk(std::string& out, std::string_view data);

// The last chunk, with no trailer, that ends a chunked body.
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace beat
