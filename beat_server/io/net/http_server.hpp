// The HTTP port: accepts connections on the server's loop and answers each request with what the
// handler returns. Bounded: connections, header bytes, queued replies and idle time.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "beat_server/core/http/http_message.hpp"
#include "beat_server/core/http/http_request_parser.hpp"
#include "beat_server/core/pages/server_status.hpp"
#include "beat_server/io/net/stream_server.hpp"
#include "common/endpoint.hpp"

namespace beat {

struct HttpLimits {
    std::size_t max_connections = 256;  // The newest beyond it is closed at once.
    std::size_t max_header_bytes = HttpRequestParser::kDefaultMaxHeaderBytes;  // Beyond: 431.
    // No complete request and no reply taken by the client for this long: closed (0: never).
    std::int64_t idle_timeout_ms = 60'000;
};

// Produces the response to one well-formed request. Called on the loop; must not throw (a throw
// is answered 500).
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// HTTP/1.1 over a StreamServer: keep-alive and pipelined requests, each answered in order. A
// response with a streamed body (HttpResponse::stream) is written one slice of about kSlice bytes
// per turn of the loop, as the client takes it (at most kHighWater queued): chunked to an
// HTTP/1.1 client, and to an HTTP/1.0 client as it comes, the end of the connection ending it.
// The requests after it on the connection are answered once it is complete; HEAD gets its head
// alone, and nothing of its body is produced.
class HttpServer : public StreamServer {
  public:
    // Binds and listens on `at`. Throws UvError when it cannot.
    HttpServer(uv_loop_t* loop, const Endpoint& at, const HttpLimits& limits, HttpHandler handler);

    // The port's counters: its connections and the requests it answered.
    HttpStats stats() const noexcept;

  private:
    struct HttpConnection;

    Connection* make_connection() noexcept override;
    // Answers the first request of `data`, or an error that ends the connection.
    Handled handle(Connection& c, std::string_view data, std::string& out) override;
    // Writes the next slice of the streamed body being sent, as a chunk unless to HTTP/1.0.
    bool continue_reply(Connection& c, std::string& out) override;
    // Appends the response to `request` to `out`, or its head with its streamed body begun, and
    // counts it.
    void answer(HttpConnection& c, const HttpRequest& request, std::string& out);
    void answer_error(Connection& c, int status, std::string& out);

    HttpLimits limits_;
    HttpHandler handler_;
    HttpStats stats_;  // Requests and responses; the connection counts are the StreamServer's.
};

}  // namespace beat
