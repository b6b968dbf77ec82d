#include "beat_server/io/http_server.hpp"

namespace beat {

HttpServer::HttpServer(uv_loop_t*, const Endpoint& at, const HttpLimits&, HttpHandler)
    : bound_(to_string(at)) {}

HttpServer::~HttpServer() = default;

void HttpServer::close() noexcept {}

}  // namespace beat
