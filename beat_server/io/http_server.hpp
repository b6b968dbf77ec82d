// The HTTP port: accepts connections on the server's loop and answers each request with what the
// handler returns. Bounded: connections, header bytes, queued replies and idle time.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "beat_server/core/http_message.hpp"
#include "beat_server/core/server_status.hpp"
#include "common/endpoint.hpp"

namespace beat {

struct HttpLimits {
    std::size_t max_connections = 256;         // The newest beyond it is closed at once.
    std::size_t max_header_bytes = 16 * 1024;  // Request line and headers; beyond: 431.
    std::int64_t idle_timeout_ms = 60'000;     // No complete request for this long: closed.
};

// Produces the response to one well-formed request. Called on the loop; must not throw (a throw
// is answered 500).
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
  public:
    // Binds and listens on `at`. Throws UvError when it cannot.
    HttpServer(uv_loop_t* loop, const Endpoint& at, const HttpLimits& limits, HttpHandler handler);
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;
    ~HttpServer();

    const std::string& bound() const noexcept { return bound_; }
    const HttpStats& stats() const noexcept { return stats_; }

    // Stops listening and closes every connection; the handles free themselves once closed.
    void close() noexcept;

  private:
    std::string bound_;
    HttpStats stats_;
};

}  // namespace beat
