#include "beat_server/core/http_routes.hpp"

namespace beat {

HttpResponse route(const HttpRequest& request, const StatusView&) {
    if (request.target == "/healthz") return text_response(200, "ok\n");
    return text_response(404);
}

}  // namespace beat
