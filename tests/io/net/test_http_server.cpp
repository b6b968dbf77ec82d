// HttpServer on a real loop and 127.0.0.1: a response whose body is streamed (BodySource) is
// written a slice per turn of the loop, chunked to HTTP/1.1 and as it comes to HTTP/1.0, and the
// requests after it are answered after it.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>

#include "beat_server/io/net/http_server.hpp"
#include "tests/io/loop_fixture.hpp"
#include "tests/io/net/stream_client.hpp"

using namespace beat;
using namespace beat::test;

namespace {

// What the test's streamed bodies did: how many slices they wrote, and how many are alive.
struct SourceLog {
    int slices = 0;
    int alive = 0;
};

// A body of `count` slices "slice <i>\n"; throws at slice `throw_at` (-1: never).
class CountingSource : public BodySource {
  public:
    CountingSource(SourceLog& log, int count, int throw_at)
        : log_(log), count_(count), throw_at_(throw_at) {
        ++log_.alive;
    }
    ~CountingSource() override { --log_.alive; }

    bool write(std::string& out, std::size_t) override {
        if (next_ == throw_at_) throw std::runtime_error("the page failed");
        out += fmt::format("slice {}\n", next_);
        ++log_.slices;
        return ++next_ == count_;
    }

  private:
    SourceLog& log_;
    int count_;
    int throw_at_;
    int next_ = 0;
};

// An HTTP port whose /stream is a CountingSource of `count` slices, and /small a plain "small\n".
struct Port {
    explicit Port(int count, int throw_at = -1)
        : http(loop.get(), Endpoint{"127.0.0.1", 0}, HttpLimits{},
               [this, count, throw_at](const HttpRequest& r) {
                   if (r.target != "/stream") return text_response(200, "small\n");
                   HttpResponse response;
                   response.stream = std::make_unique<CountingSource>(log, count, throw_at);
                   return response;
               }) {}

    std::uint16_t port() const { return port_of(http.bound()); }

    TestLoop loop;
    SourceLog log;
    HttpServer http;
};

// The body of "slice 0\n" ... "slice <count - 1>\n".
std::string slices_text(int count) {
    std::string out;
    for (int i = 0; i < count; ++i)
        out += fmt::format("slice {}\n", i);
    return out;
}

// `text` framed as chunks, one per slice, and the last chunk.
std::string chunked(int count) {
    std::string out;
    for (int i = 0; i < count; ++i)
        append_chunk(out, fmt::format("slice {}\n", i));
    return out += kLastChunk;
}

constexpr std::string_view kChunkedHead =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Control: "
    "no-store\r\nTransfer-Encoding: chunked\r\n\r\n";

constexpr std::string_view kSmall =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
    "6\r\nCache-Control: no-store\r\n\r\nsmall\n";

}  // namespace

TEST_CASE("a streamed body goes chunked, a slice per turn of the loop, before the next request",
          "[http_server]") {
    Port p(5);
    {
        Client c(p.port());
        c.send("GET /stream HTTP/1.1\r\n\r\nGET /small HTTP/1.1\r\n\r\n");
        REQUIRE(receive(p.loop, c, kChunkedHead.size()));
        // From here each turn of the loop writes one slice, and no more.
        for (int turn = p.log.slices; turn < 5; ++turn) {
            CHECK(p.log.slices == turn);
            uv_run(p.loop.get(), UV_RUN_NOWAIT);
        }
        const std::string expected = std::string(kChunkedHead) + chunked(5) + std::string(kSmall);
        REQUIRE(receive(p.loop, c, expected.size()));
        CHECK(c.received() == expected);
        CHECK(p.log.slices == 5);
        CHECK(p.log.alive == 0);
        CHECK(p.http.stats().requests == 2);
    }
    p.http.close();
    CHECK(p.loop.closes_with_no_handle_open());
}

TEST_CASE("a streamed body goes to an HTTP/1.0 client as it comes, and the connection ends it",
          "[http_server]") {
    Port p(3);
    {
        Client c(p.port());
        c.send("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        REQUIRE(wait_closed(p.loop, c));
        CHECK(c.received() ==
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Control: "
              "no-store\r\nConnection: close\r\n\r\n" +
                  slices_text(3));
    }
    p.http.close();
    CHECK(p.loop.closes_with_no_handle_open());
}

TEST_CASE("HEAD of a streamed page gets its head and nothing of its body is made",
          "[http_server]") {
    Port p(3);
    {
        Client c(p.port());
        c.send("HEAD /stream HTTP/1.1\r\n\r\nGET /small HTTP/1.1\r\n\r\n");
        const std::string expected = std::string(kChunkedHead) + std::string(kSmall);
        REQUIRE(receive(p.loop, c, expected.size()));
        CHECK(c.received() == expected);
        CHECK(p.log.slices == 0);
        CHECK(p.log.alive == 0);
    }
    p.http.close();
    CHECK(p.loop.closes_with_no_handle_open());
}

TEST_CASE("a client that leaves during a streamed body frees it and its connection",
          "[http_server]") {
    Port p(1'000'000);
    {
        Client c(p.port());
        c.send("GET /stream HTTP/1.1\r\n\r\n");
        REQUIRE(receive(p.loop, c, kChunkedHead.size() + 100));
    }
    for (int i = 0; i < 1000 && p.http.connections() > 0; ++i)
        uv_run(p.loop.get(), UV_RUN_NOWAIT);
    CHECK(p.http.connections() == 0);
    uv_run(p.loop.get(), UV_RUN_NOWAIT);  // The close callbacks.
    CHECK(p.log.alive == 0);
    CHECK(p.log.slices < 1'000'000);
    p.http.close();
    CHECK(p.loop.closes_with_no_handle_open());
}

TEST_CASE("a streamed body that fails ends the connection without its last chunk",
          "[http_server]") {
    Port p(5, 2);
    {
        Client c(p.port());
        c.send("GET /stream HTTP/1.1\r\n\r\nGET /small HTTP/1.1\r\n\r\n");
        REQUIRE(wait_closed(p.loop, c));
        std::string expected(kChunkedHead);
        append_chunk(expected, "slice 0\n");
        append_chunk(expected, "slice 1\n");
        CHECK(c.received() == expected);
        CHECK(p.log.alive == 0);
    }
    p.http.close();
    CHECK(p.loop.closes_with_no_handle_open());
}

TEST_CASE("a shutdown finishes the streamed body in progress, then closes", "[http_server]") {
    Port p(20);
    bool idle = false;
    {
        Client c(p.port());
        c.send("GET /stream HTTP/1.1\r\n\r\n");
        REQUIRE(receive(p.loop, c, kChunkedHead.size()));
        p.http.shutdown([&idle] { idle = true; });
        REQUIRE(wait_closed(p.loop, c));
        CHECK(c.received() == std::string(kChunkedHead) + chunked(20));
    }
    for (int i = 0; i < 100 && !idle; ++i)
        uv_run(p.loop.get(), UV_RUN_NOWAIT);
    CHECK(idle);
    p.http.close();
    CHECK(p.loop.closes_with_no_handle_open());
}
