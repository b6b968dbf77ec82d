#include "beat_server/core/http_message.hpp"

namespace beat {

std::string_view reason_phrase(int) noexcept {
    return "Unknown";
}

HttpResponse text_response(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

std::string serialize(const HttpResponse& r, bool, bool) {
    return r.body;
}

}  // namespace beat
