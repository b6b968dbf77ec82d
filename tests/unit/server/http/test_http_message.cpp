#include <catch2/catch.hpp>

#include "beat_server/core/http/http_message.hpp"

using namespace beat;

TEST_CASE("a response is serialized with its length, no-store and the body", "[http_message]") {
    const HttpResponse r = text_response(200, "ok\n");
    CHECK(serialize(r, true, false) ==
          "HTTP/1.1 200 OK\r\n"
          "Content-Type: text/plain; charset=utf-8\r\n"
          "Content-Length: 3\r\n"
          "Cache-Control: no-store\r\n"
          "\r\n"
          "ok\n");
}

TEST_CASE("a response that ends the connection says Connection close", "[http_message]") {
    CHECK(serialize(text_response(400), false, false) ==
          "HTTP/1.1 400 Bad Request\r\n"
          "Content-Type: text/plain; charset=utf-8\r\n"
          "Content-Length: 12\r\n"
          "Cache-Control: no-store\r\n"
          "Connection: close\r\n"
          "\r\n"
          "Bad Request\n");
}

TEST_CASE("a HEAD response has the GET response's length and no body", "[http_message]") {
    HttpResponse r;
    r.content_type = "application/json";
    r.body = "[1,2,3]";
    CHECK(serialize(r, true, true) ==
          "HTTP/1.1 200 OK\r\n"
          "Content-Type: application/json\r\n"
          "Content-Length: 7\r\n"
          "Cache-Control: no-store\r\n"
          "\r\n");
}

TEST_CASE("extra headers follow the fixed ones and may replace Cache-Control", "[http_message]") {
    HttpResponse r = text_response(405);
    r.headers = {{"Allow", "GET, HEAD"}, {"cache-control", "max-age=5"}};
    CHECK(serialize(r, true, false) ==
          "HTTP/1.1 405 Method Not Allowed\r\n"
          "Content-Type: text/plain; charset=utf-8\r\n"
          "Content-Length: 19\r\n"
          "Allow: GET, HEAD\r\n"
          "cache-control: max-age=5\r\n"
          "\r\n"
          "Method Not Allowed\n");
}

TEST_CASE("every status the HTTP port answers has its reason phrase", "[http_message]") {
    CHECK(reason_phrase(200) == "OK");
    CHECK(reason_phrase(400) == "Bad Request");
    CHECK(reason_phrase(404) == "Not Found");
    CHECK(reason_phrase(405) == "Method Not Allowed");
    CHECK(reason_phrase(408) == "Request Timeout");
    CHECK(reason_phrase(413) == "Content Too Large");
    CHECK(reason_phrase(414) == "URI Too Long");
    CHECK(reason_phrase(431) == "Request Header Fields Too Large");
    CHECK(reason_phrase(500) == "Internal Server Error");
    CHECK(reason_phrase(501) == "Not Implemented");
    CHECK(reason_phrase(503) == "Service Unavailable");
    CHECK(reason_phrase(505) == "HTTP Version Not Supported");
    CHECK(reason_phrase(299) == "Unknown");
}

TEST_CASE("a text response without a body carries its reason phrase", "[http_message]") {
    CHECK(text_response(404).body == "Not Found\n");
    CHECK(text_response(404, "no such host\n").body == "no such host\n");
    CHECK(text_response(503).content_type == "text/plain; charset=utf-8");
}

TEST_CASE("a streamed response's head says chunked instead of a length", "[http_message]") {
    HttpResponse r;
    r.content_type = "application/json";
    CHECK(serialize_head(r, true, true) ==
          "HTTP/1.1 200 OK\r\n"
          "Content-Type: application/json\r\n"
          "Cache-Control: no-store\r\n"
          "Transfer-Encoding: chunked\r\n"
          "\r\n");
    CHECK(serialize_head(r, false, true) ==
          "HTTP/1.1 200 OK\r\n"
          "Content-Type: application/json\r\n"
          "Cache-Control: no-store\r\n"
          "Transfer-Encoding: chunked\r\n"
          "Connection: close\r\n"
          "\r\n");
}

TEST_CASE("a streamed response to HTTP/1.0 has no length and ends the connection",
          "[http_message]") {
    HttpResponse r;
    r.headers = {{"X-Page", "1"}};
    const std::string expected =
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n"
        "X-Page: 1\r\n"
        "\r\n";
    CHECK(serialize_head(r, true, false) == expected);
    CHECK(serialize_head(r, false, false) == expected);
}

TEST_CASE("a chunk is its size in hex, its bytes and CRLF, and an empty one is not written",
          "[http_message]") {
    std::string out;
    append_chunk(out, "hello");
    append_chunk(out, "");
    append_chunk(out, std::string(300, 'x'));
    out += kLastChunk;
    CHECK(out == "5\r\nhello\r\n12c\r\n" + std::string(300, 'x') + "\r\n0\r\n\r\n");
}
