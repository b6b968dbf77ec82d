#include <catch2/catch.hpp>

#include <fmt/core.h>

#include <string>
#include <vector>

#include "beat_server/core/http/http_request_parser.hpp"

using namespace beat;

namespace {

// What a parser made of a stream: "METHOD TARGET keep|close" per request, "error N" for an
// error, "closed" once it read nothing more, and the bytes it left unread.
struct Outcome {
    std::vector<std::string> events;
    std::size_t unread = 0;
};

// Feeds `input` in chunks of `chunk` bytes (0: whole), calling next() until each chunk is used.
Outcome parse(std::string_view input, std::size_t chunk = 0,
              std::size_t max_header = HttpRequestParser::kDefaultMaxHeaderBytes) {
    HttpRequestParser p(max_header);
    Outcome o;
    if (chunk == 0) chunk = input.size() == 0 ? 1 : input.size();
    for (std::size_t pos = 0; pos < input.size(); pos += chunk) {
        std::string_view rest = input.substr(pos, chunk);
        for (int calls = 0; calls < 1000; ++calls) {
            const HttpParseStep s = p.next(rest);
            REQUIRE(s.consumed <= rest.size());
            rest.remove_prefix(s.consumed);
            if (s.kind == HttpParseStep::Kind::need_more) {
                REQUIRE(rest.empty());
                break;
            }
            if (s.kind == HttpParseStep::Kind::request) {
                o.events.push_back(fmt::format("{} {} {}", s.request.method, s.request.target,
                                               s.request.keep_alive ? "keep" : "close"));
                continue;
            }
            o.events.push_back(s.kind == HttpParseStep::Kind::error
                                   ? fmt::format("error {}", s.status)
                                   : std::string("closed"));
            o.unread = input.size() - pos - (input.substr(pos, chunk).size() - rest.size());
            return o;
        }
    }
    return o;
}

std::vector<std::string> events(
    std::string_view input, std::size_t chunk = 0,
    std::size_t max_header = HttpRequestParser::kDefaultMaxHeaderBytes) {
    return parse(input, chunk, max_header).events;
}

using Events = std::vector<std::string>;

// A GET whose request line and headers take exactly `size` bytes (at least 40).
std::string get_of_header_size(std::size_t size) {
    const std::string head = "GET / HTTP/1.1\r\nX-Pad: ";
    return head + std::string(size - head.size() - 4, 'p') + "\r\n\r\n";
}

}  // namespace

TEST_CASE("a GET request is complete once its headers end", "[http_request_parser]") {
    HttpRequestParser p;
    const std::string req = "GET /hosts?x=1 HTTP/1.1\r\nHost: beat\r\n\r\n";
    const HttpParseStep partial = p.next(std::string_view(req).substr(0, 20));
    CHECK(partial.kind == HttpParseStep::Kind::need_more);
    CHECK(partial.consumed == 20);
    const HttpParseStep s = p.next(std::string_view(req).substr(20));
    REQUIRE(s.kind == HttpParseStep::Kind::request);
    CHECK(s.consumed == req.size() - 20);
    CHECK(s.request.method == "GET");
    CHECK(s.request.target == "/hosts?x=1");
    CHECK(s.request.keep_alive);
    CHECK(p.next("").kind == HttpParseStep::Kind::need_more);
}

TEST_CASE("a request split at any byte yields the same request", "[http_request_parser]") {
    const std::string req =
        "POST /metrics HTTP/1.1\r\nHost: beat\r\nContent-Length: 5\r\n\r\nhello"
        "GET /healthz HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    const Events expected{"POST /metrics keep", "GET /healthz keep"};
    REQUIRE(events(req) == expected);
    CHECK(events(req, 1) == expected);
    for (std::size_t at = 1; at < req.size(); ++at) {
        HttpRequestParser p;
        Events got;
        for (std::string_view rest :
             {std::string_view(req).substr(0, at), std::string_view(req).substr(at)}) {
            for (int calls = 0; calls < 10 && !rest.empty(); ++calls) {
                const HttpParseStep s = p.next(rest);
                rest.remove_prefix(s.consumed);
                if (s.kind == HttpParseStep::Kind::request)
                    got.push_back(s.request.method + " " + s.request.target + " keep");
            }
        }
        INFO("split at " << at);
        CHECK(got == expected);
    }
}

TEST_CASE("pipelined requests in one chunk come out one per call in order",
          "[http_request_parser]") {
    const std::string a = "GET /a HTTP/1.1\r\n\r\n";
    const std::string b = "HEAD /b HTTP/1.1\r\nConnection: keep-alive\r\n\r\n";
    const std::string c = "GET /c HTTP/1.1\r\n\r\n";
    const std::string all = a + b + c;
    HttpRequestParser p;
    std::string_view rest(all);
    for (const std::string* each : {&a, &b, &c}) {
        const HttpParseStep s = p.next(rest);
        REQUIRE(s.kind == HttpParseStep::Kind::request);
        CHECK(s.consumed == each->size());
        rest.remove_prefix(s.consumed);
    }
    CHECK(rest.empty());
    CHECK(events(all) == Events{"GET /a keep", "HEAD /b keep", "GET /c keep"});
}

TEST_CASE("HTTP/1.0 closes unless keep-alive is asked for", "[http_request_parser]") {
    CHECK(events("GET / HTTP/1.0\r\n\r\nGET /more HTTP/1.0\r\n\r\n") ==
          Events{"GET / close", "closed"});
    CHECK(events("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /more HTTP/1.0\r\n\r\n") ==
          Events{"GET / keep", "GET /more close", "closed"});
}

TEST_CASE("Connection close in HTTP/1.1 ends the connection after that request",
          "[http_request_parser]") {
    const Outcome o = parse("GET /a HTTP/1.1\r\nConnection: close\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
    CHECK(o.events == Events{"GET /a close", "closed"});
    CHECK(o.unread == 19);
}

TEST_CASE("a malformed request line is answered 400 and nothing more is parsed",
          "[http_request_parser]") {
    CHECK(events("GET / HTTP/1.1\r\n\r\nhello there\r\n\r\nGET / HTTP/1.1\r\n\r\n") ==
          Events{"GET / keep", "error 400"});
    CHECK(events("GET /a b HTTP/1.1\r\n\r\n") == Events{"error 400"});
    CHECK(events("GET / HTTP/1.1\r\nno colon\r\n\r\n") == Events{"error 400"});
    CHECK(events("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n") == Events{"error 400"});
    CHECK(events("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03") == Events{"error 400"});
    HttpRequestParser p;
    CHECK(p.next("BREW / HTCPCP/1.0\r\n").kind == HttpParseStep::Kind::error);
    CHECK(p.next("").kind == HttpParseStep::Kind::closed);
    const HttpParseStep after = p.next("GET / HTTP/1.1\r\n\r\n");
    CHECK(after.kind == HttpParseStep::Kind::closed);
    CHECK(after.consumed == 0);
}

TEST_CASE("both Content-Length and chunked are refused as request smuggling",
          "[http_request_parser]") {
    CHECK(events("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "0\r\n\r\n") == Events{"error 400"});
}

TEST_CASE("a target of 8 KiB is accepted and one byte more is answered 414",
          "[http_request_parser]") {
    const std::string at = "/" + std::string(HttpRequestParser::kMaxTargetBytes - 1, 'a');
    const std::string past = at + "a";
    for (std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
        CHECK(events("GET " + at + " HTTP/1.1\r\n\r\n", chunk) == Events{"GET " + at + " keep"});
        CHECK(events("GET " + past + " HTTP/1.1\r\n\r\n", chunk) == Events{"error 414"});
        // A syntax error after the limit is not seen: the limit is crossed first.
        CHECK(events("GET " + past + "\x01 HTTP/1.1\r\n\r\n", chunk) == Events{"error 414"});
    }
}

TEST_CASE("request line and headers of exactly the limit pass and one byte more is answered 431",
          "[http_request_parser]") {
    const std::size_t limit = HttpRequestParser::kDefaultMaxHeaderBytes;
    REQUIRE(get_of_header_size(limit).size() == limit);
    for (std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{1000}}) {
        INFO("chunk " << chunk);
        CHECK(events(get_of_header_size(limit), chunk) == Events{"GET / keep"});
        CHECK(events(get_of_header_size(limit + 1), chunk) == Events{"error 431"});
        CHECK(events(get_of_header_size(100), chunk, 100) == Events{"GET / keep"});
        CHECK(events(get_of_header_size(101), chunk, 100) == Events{"error 431"});
    }
    // A header that never ends is refused once it passes the limit, not when it ends.
    const Outcome o = parse("GET / HTTP/1.1\r\nX-Pad: " + std::string(2 * limit, 'p'));
    CHECK(o.events == Events{"error 431"});
    // Empty lines before a request count: a stream of them cannot go on for ever.
    CHECK(events(std::string(limit + 1, '\n')) == Events{"error 431"});
}

TEST_CASE("each request of a connection has the whole header limit", "[http_request_parser]") {
    const std::string one = get_of_header_size(100);
    CHECK(events(one + one + one, 0, 100) == Events{"GET / keep", "GET / keep", "GET / keep"});
}

TEST_CASE("a body up to the cap is read and dropped and one byte more is answered 413",
          "[http_request_parser]") {
    const std::size_t cap = HttpRequestParser::kMaxBodyBytes;
    const auto post = [](std::size_t n) {
        return fmt::format("POST /x HTTP/1.1\r\nContent-Length: {}\r\n\r\n{}", n,
                           std::string(n, 'b'));
    };
    for (std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{4096}}) {
        CHECK(events(post(cap) + "GET /y HTTP/1.1\r\n\r\n", chunk) ==
              Events{"POST /x keep", "GET /y keep"});
        // Refused when the headers end, before any of the body arrives.
        CHECK(events(fmt::format("POST /x HTTP/1.1\r\nContent-Length: {}\r\n\r\n", cap + 1),
                     chunk) == Events{"error 413"});
    }
}

TEST_CASE("a chunked body is read and dropped up to the cap on its wire bytes",
          "[http_request_parser]") {
    const std::size_t cap = HttpRequestParser::kMaxBodyBytes;
    // One chunk of n bytes is "<hex>\r\n", the n bytes, "\r\n", then the last chunk "0\r\n\r\n".
    const auto chunked = [](std::size_t n) {
        return fmt::format(
            "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{}\r\n0\r\n\r\n", n,
            std::string(n, 'c'));
    };
    const std::size_t framing = 4 + 2 + 2 + 5;
    const std::size_t fits = cap - framing;
    REQUIRE(fmt::format("{:x}", fits).size() == 4);
    for (std::size_t chunk : {std::size_t{0}, std::size_t{1}, std::size_t{999}}) {
        CHECK(events(chunked(fits), chunk) == Events{"POST /x keep"});
        CHECK(events(chunked(fits + 1), chunk) == Events{"error 413"});
        CHECK(events(chunked(10 * cap), chunk) == Events{"error 413"});
    }
}

TEST_CASE("HTTP versions other than 1.0 and 1.1 are answered 505", "[http_request_parser]") {
    CHECK(events("GET / HTTP/2.0\r\n\r\n") == Events{"error 505"});
    CHECK(events("GET / HTTP/1.2\r\n\r\n") == Events{"error 505"});
    CHECK(events("GET / HTTP/0.9\r\n\r\n") == Events{"error 505"});
    // A request line without a version is HTTP/0.9's.
    CHECK(events("GET /\r\n\r\n") == Events{"error 505"});
}

TEST_CASE("CONNECT is answered 501 and an Upgrade is answered and closes",
          "[http_request_parser]") {
    CHECK(events("CONNECT beat:443 HTTP/1.1\r\nHost: beat:443\r\n\r\n") == Events{"error 501"});
    CHECK(events("GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n\x81\x05") ==
          Events{"GET /ws close", "closed"});
}

TEST_CASE("methods come as text and HEAD stays HEAD", "[http_request_parser]") {
    CHECK(
        events(
            "HEAD / HTTP/1.1\r\n\r\nDELETE /hosts/a HTTP/1.1\r\n\r\nOPTIONS * HTTP/1.1\r\n\r\n") ==
        Events{"HEAD / keep", "DELETE /hosts/a keep", "OPTIONS * keep"});
}

TEST_CASE("a request says whether it is HTTP/1.1, which reads chunked bodies",
          "[http_request_parser]") {
    HttpRequestParser p;
    const HttpParseStep one = p.next("GET / HTTP/1.1\r\n\r\n");
    REQUIRE(one.kind == HttpParseStep::Kind::request);
    CHECK(one.request.http11);
    const HttpParseStep ten = p.next("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    REQUIRE(ten.kind == HttpParseStep::Kind::request);
    CHECK_FALSE(ten.request.http11);
    const HttpParseStep again = p.next("GET / HTTP/1.1\r\n\r\n");
    REQUIRE(again.kind == HttpParseStep::Kind::request);
    CHECK(again.request.http11);
}
