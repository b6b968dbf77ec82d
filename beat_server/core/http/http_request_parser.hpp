// An incremental, bounded HTTP/1.1 request parser over libhttp-parser. Pure.
//
// A connection's bytes are handed to next() as they arrive, in chunks of any size. Each call
// consumes bytes up to the end of at most one request and says what it found: a complete
// request, the need for more bytes, or an error with the status to answer it with. The outcome
// does not depend on how the stream was split: a request sent byte by byte, or several requests
// in one chunk (pipelining), yield the same requests and errors in the same order.
//
// Limits, each answered with an error and the end of the connection:
//   400  malformed syntax (request line, header, chunked framing, both Content-Length and
//        chunked, an unknown method, ...);
//   414  a target longer than kMaxTargetBytes;
//   431  request line and headers (with any empty lines before the request line) longer than
//        max_header_bytes;
//   413  a body longer than kMaxBodyBytes: Content-Length beyond it is refused when the headers
//        end; a chunked body when its bytes on the wire (framing and trailers included) pass it.
//        Bodies within it are read and dropped, since no route takes one;
//   501  CONNECT (beat is no proxy);
//   505  an HTTP version other than 1.0 and 1.1;
//   503  no memory for the target.
// An Upgrade request is answered as an ordinary one, and its connection closed after it.
// A Host header is not required.
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "beat_server/core/http/http_message.hpp"

namespace beat {

struct HttpParseStep {
    enum class Kind {
        request,    // `request` is complete; `consumed` bytes ended it.
        need_more,  // Every byte given was consumed; the request is not complete yet.
        error,      // Answer `status` with "Connection: close" and read nothing more.
        closed,     // Nothing more is read: the last request or an error ended the connection.
    };
    Kind kind = Kind::need_more;
    std::size_t consumed = 0;  // Bytes to drop from the front of what was given.
    HttpRequest request;       // With kind == request.
    int status = 0;            // With kind == error: 400, 413, 414, 431, 501, 503 or 505.
};

class HttpRequestParser {
  public:
    static constexpr std::size_t kMaxTargetBytes = 8 * 1024;
    static constexpr std::size_t kMaxBodyBytes = 64 * 1024;
    static constexpr std::size_t kDefaultMaxHeaderBytes = 16 * 1024;

    // A parser for one connection's requests. `max_header_bytes` bounds the request line and the
    // headers together; libhttp-parser's own bound (80 KiB) applies beyond it.
    explicit HttpRequestParser(std::size_t max_header_bytes = kDefaultMaxHeaderBytes) noexcept;
    HttpRequestParser(const HttpRequestParser&) = delete;
    HttpRequestParser& operator=(const HttpRequestParser&) = delete;

    // Consumes the front of `bytes`, up to the end of the next request at most, and returns what
    // it found. Bytes consumed with need_more are kept in the parser's state (only the target is
    // copied, up to its limit); the caller hands on the bytes that follow `consumed` next time.
    // After an error, or a request with keep_alive false, every call returns `closed` and
    // consumes nothing. Empty `bytes` give need_more (or closed).
    HttpParseStep next(std::string_view bytes) noexcept;

  private:
    // Where the current request is: before the end of its headers, or in its body.
    enum class Phase { headers, body };

    static int on_url(http_parser* p, const char* at, std::size_t length) noexcept;
    static int on_header_field(http_parser* p, const char* at, std::size_t length) noexcept;
    static int on_headers_complete(http_parser* p) noexcept;
    static int on_message_complete(http_parser* p) noexcept;

    // How many of `available` bytes the next execution may see, so that each limit is crossed
    // at the same byte however the stream is split.
    std::size_t slice(std::size_t available) const noexcept;
    HttpParseStep fail(int status, std::size_t consumed) noexcept;

    http_parser parser_{};
    http_parser_settings settings_{};
    std::size_t max_header_bytes_;
    Phase phase_ = Phase::headers;
    std::size_t header_bytes_ = 0;  // Of the current request, while phase_ == headers.
    std::size_t body_bytes_ = 0;    // Of the current request, while phase_ == body.
    bool target_done_ = false;      // The target of the current request is complete.
    bool headers_done_ = false;     // Its headers ended in the last execution.
    bool complete_ = false;         // It ended in the last execution.
    int error_status_ = 0;          // Set by a callback that stops the parser.
    bool finished_ = false;         // An error or a request that closes the connection ended it.
    HttpRequest request_;
};

}  // namespace beat
