#include "beat_server/core/http/http_request_parser.hpp"

#include <algorithm>
#include <limits>
#include <new>

namespace beat {
namespace {

HttpRequestParser& owner(http_parser* p) noexcept {
    return *static_cast<HttpRequestParser*>(p->data);
}

}  // namespace

HttpRequestParser::HttpRequestParser(std::size_t max_header_bytes) noexcept
    : max_header_bytes_(max_header_bytes) {
    http_parser_init(&parser_, HTTP_REQUEST);
    parser_.data = this;
    http_parser_settings_init(&settings_);
    settings_.on_url = &on_url;
    settings_.on_header_field = &on_header_field;
    settings_.on_headers_complete = &on_headers_complete;
    settings_.on_message_complete = &on_message_complete;
}

int HttpRequestParser::on_url(http_parser* p, const char* at, std::size_t length) noexcept {
    HttpRequestParser& self = owner(p);
    if (length > kMaxTargetBytes - self.request_.target.size()) {
        self.error_status_ = 414;
        return 1;
    }
    try {
        self.request_.target.append(at, length);
    } catch (const std::bad_alloc&) {
        self.error_status_ = 503;
        return 1;
    }
    return 0;
}

int HttpRequestParser::on_header_field(http_parser* p, const char*, std::size_t) noexcept {
    owner(p).target_done_ = true;
    return 0;
}

int HttpRequestParser::on_headers_complete(http_parser* p) noexcept {
    HttpRequestParser& self = owner(p);
    self.target_done_ = true;
    self.headers_done_ = true;
    if (p->http_major != 1 || p->http_minor > 1) {
        self.error_status_ = 505;
        return -1;
    }
    if (p->method == HTTP_CONNECT) {
        self.error_status_ = 501;
        return -1;
    }
    const bool chunked = (p->flags & F_CHUNKED) != 0;
    if (!chunked && p->content_length != std::numeric_limits<std::uint64_t>::max() &&
        p->content_length > kMaxBodyBytes) {
        self.error_status_ = 413;
        return -1;
    }
    // Method names are short enough for the small-string buffer: no allocation.
    self.request_.method = http_method_str(static_cast<http_method>(p->method));
    // An Upgrade is not taken up: the request is answered, and the connection ends with it.
    self.request_.keep_alive = http_should_keep_alive(p) != 0 && p->upgrade == 0;
    self.request_.http11 = p->http_minor == 1;
    // Pause, so that the caller learns where the headers ended.
    http_parser_pause(p, 1);
    return 0;
}

int HttpRequestParser::on_message_complete(http_parser* p) noexcept {
    owner(p).complete_ = true;
    http_parser_pause(p, 1);  // One request per call of next().
    return 0;
}

std::size_t HttpRequestParser::slice(std::size_t available) const noexcept {
    std::size_t n = available;
    if (phase_ == Phase::headers) {
        n = std::min(n, max_header_bytes_ + 1 - header_bytes_);
        // While the target is read, end the slice at its first byte past the limit, so that a
        // syntax error after that byte cannot be seen first.
        if (!target_done_) n = std::min(n, kMaxTargetBytes + 1 - request_.target.size());
    } else {
        // body_bytes_ counts the headers' final '\n' as well: the body proper may have
        // kMaxBodyBytes.
        n = std::min(n, kMaxBodyBytes + 1 - body_bytes_);
    }
    return n;
}

HttpParseStep HttpRequestParser::fail(int status, std::size_t consumed) noexcept {
    finished_ = true;
    HttpParseStep step;
    step.kind = HttpParseStep::Kind::error;
    step.consumed = consumed;
    step.status = status;
    return step;
}

HttpParseStep HttpRequestParser::next(std::string_view bytes) noexcept {
    HttpParseStep step;
    if (finished_) {
        step.kind = HttpParseStep::Kind::closed;
        return step;
    }
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        const std::size_t n = slice(bytes.size() - pos);
        http_parser_pause(&parser_, 0);
        const std::size_t used = http_parser_execute(&parser_, &settings_, bytes.data() + pos, n);
        pos += used;
        const http_errno err = HTTP_PARSER_ERRNO(&parser_);
        if (err != HPE_OK && err != HPE_PAUSED) {
            if (error_status_ != 0) return fail(error_status_, pos);
            return fail(err == HPE_HEADER_OVERFLOW ? 431 : 400, pos);
        }
        if (phase_ == Phase::headers) {
            header_bytes_ += used;
            if (headers_done_) {
                // The pause left the headers' final '\n' unconsumed: it is read again as the
                // first byte of the body phase, but belongs to the headers.
                if (header_bytes_ + 1 > max_header_bytes_) return fail(431, pos);
                phase_ = Phase::body;
                continue;
            }
            if (header_bytes_ > max_header_bytes_) return fail(431, pos);
        } else {
            body_bytes_ += used;
            if (complete_) {
                step.kind = HttpParseStep::Kind::request;
                step.consumed = pos;
                step.request = std::move(request_);
                finished_ = !step.request.keep_alive;
                request_ = HttpRequest{};
                phase_ = Phase::headers;
                header_bytes_ = body_bytes_ = 0;
                target_done_ = headers_done_ = complete_ = false;
                return step;
            }
            if (body_bytes_ > kMaxBodyBytes) return fail(413, pos);  // And not complete.
        }
        // libhttp-parser stops early only on an error or a pause, both handled above.
        if (used < n) return fail(400, pos);
    }
    step.consumed = pos;
    return step;
}

}  // namespace beat
