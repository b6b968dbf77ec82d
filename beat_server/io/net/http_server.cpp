#include "beat_server/io/net/http_server.hpp"

#include <memory>
#include <string>

#include "common/log.hpp"

namespace beat {

struct HttpServer::HttpConnection : StreamServer::Connection {
    explicit HttpConnection(std::size_t max_header_bytes) noexcept : parser(max_header_bytes) {}

    HttpRequestParser parser;
    std::unique_ptr<BodySource> body;  // The streamed body being sent, with `streaming` set.
    bool chunked = false;              // It is sent as chunks (HTTP/1.1).
    std::string slice;                 // Scratch for a chunk's bytes.
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

StreamServer::Handled HttpServer::handle(Connection& base, std::string_view data,
                                         std::string& out) {
    auto& c = static_cast<HttpConnection&>(base);
    const HttpParseStep step = c.parser.next(data);
    if (step.kind == HttpParseStep::Kind::need_more) return {step.consumed, false};
    if (step.kind == HttpParseStep::Kind::request) {
        answer(c, step.request, out);
        if (!step.request.keep_alive) c.close_when_flushed = true;
        return {step.consumed, true};
    }
    if (step.kind == HttpParseStep::Kind::error) answer_error(c, step.status, out);
    c.close_when_flushed = true;
    return {step.consumed, false};
}

bool HttpServer::continue_reply(Connection& base, std::string& out) {
    auto& c = static_cast<HttpConnection&>(base);
    // A slice costs time to produce, not only bytes: one per turn of the loop.
    c.yield = true;
    bool done = false;
    if (c.chunked) {
        c.slice.clear();
        done = c.body->write(c.slice, kSlice);
        append_chunk(out, c.slice);
        if (done) out += kLastChunk;
    } else {
        done = c.body->write(out, kSlice);
    }
    if (done) c.body.reset();
    return done;
}

void HttpServer::answer(HttpConnection& c, const HttpRequest& request, std::string& out) {
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
    const bool head_only = request.method == "HEAD";
    if (response.stream) {
        out += serialize_head(response, request.keep_alive, request.http11);
        // HTTP/1.0 has no chunks: the end of the connection ends the body.
        if (!request.http11) c.close_when_flushed = true;
        if (!head_only) {
            c.body = std::move(response.stream);
            c.chunked = request.http11;
            c.streaming = true;
            c.yield = true;
        }
    } else {
        out += serialize(response, request.keep_alive, head_only);
    }
    ++stats_.requests;
    const int status_class = response.status / 100;
    if (status_class >= 1 && status_class <= 5) ++stats_.responses_by_class[status_class];
}

void HttpServer::answer_error(Connection& c, int status, std::string& out) {
    log_debug("http request refused peer={} status={}", c.peer, status);
    out += serialize(text_response(status), false, false);
    ++stats_.requests;
    ++stats_.responses_by_class[status / 100];
}

}  // namespace beat
