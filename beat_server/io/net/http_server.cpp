#include "beat_server/io/net/http_server.hpp"

#include "common/log.hpp"

namespace beat {

struct HttpServer::HttpConnection : StreamServer::Connection {
    explicit HttpConnection(std::size_t max_header_bytes) noexcept : parser(max_header_bytes) {}

    HttpRequestParser parser;
};

HttpServer::HttpServer(uv_loop_t* loop, const Endpoint& at, const HttpLimits& limits,
                       HttpHandler handler)
    : StreamServer(loop, at, "http", limits.max_connections, limits.idle_timeout_ms),
      limits_(limits),
      handler_(std::move(handler)) {}

HttpStats HttpServer::stats() const noexcept {
    HttpStats s = stats_;
    s.open = connections();
    s.accepted = accepted();
    s.refused = refused();
    s.closed_idle = closed_idle();
    return s;
}

StreamServer::Connection* HttpServer::make_connection() noexcept {
    return new (std::nothrow) HttpConnection(limits_.max_header_bytes);
}

void HttpServer::pump(Connection& base, std::string_view fresh) {
    auto& c = static_cast<HttpConnection&>(base);
    const std::string_view data = begin_pass(c, fresh);
    out_.clear();
    std::size_t pos = 0;
    bool handled = false;
    bool paused_now = false;
    while (!c.close_when_flushed) {
        if (full(c, out_.size())) {
            paused_now = true;
            break;
        }
        HttpParseStep step = c.parser.next(data.substr(pos));
        pos += step.consumed;
        if (step.kind == HttpParseStep::Kind::need_more) break;
        if (step.kind == HttpParseStep::Kind::request) {
            answer(step.request);
            handled = true;
            if (!step.request.keep_alive) c.close_when_flushed = true;
            continue;
        }
        if (step.kind == HttpParseStep::Kind::error) answer_error(c, step.status);
        c.close_when_flushed = true;
    }
    if (handled) touch(c);
    end_pass(c, data, pos, paused_now);
    if (!out_.empty()) send(c, out_);
    maybe_finish(c);
}

void HttpServer::answer(const HttpRequest& request) {
    HttpResponse response;
    try {
        response = handler_(request);
    } catch (const std::exception& e) {
        log_error("http handler failed method={} target={}: {}", request.method, request.target,
                  e.what());
        response = text_response(500);
    } catch (...) {
        log_error("http handler failed method={} target={}", request.method, request.target);
        response = text_response(500);
    }
    out_ += serialize(response, request.keep_alive, request.method == "HEAD");
    ++stats_.requests;
    const int status_class = response.status / 100;
    if (status_class >= 1 && status_class <= 5) ++stats_.responses_by_class[status_class];
}

void HttpServer::answer_error(Connection& c, int status) {
    log_debug("http request refused peer={} status={}", c.peer, status);
    out_ += serialize(text_response(status), false, false);
    ++stats_.requests;
    ++stats_.responses_by_class[status / 100];
}

}  // namespace beat
