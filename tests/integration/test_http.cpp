// The HTTP port's transport against the real server: keep-alive, pipelining, HTTP/1.0, the
// answers to malformed and oversized requests, a request trickled byte by byte, the idle timeout
// and shutdown with connections open. Only /healthz and an unknown path are asked for: what the
// other pages hold is tested with their renderers.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/integration/harness.hpp"

using namespace beat::test;

namespace {

struct Response {
    std::string status_line;  // Without CRLF.
    std::string head;         // Status line and headers, up to the empty line.
    std::string body;
};

// Splits the first complete response off `buf`; nullopt while it is incomplete. Every response
// of beat carries Content-Length; the response to a HEAD (`head`) has no body all the same.
std::optional<Response> take_response(std::string& buf, bool head = false) {
    const std::size_t end = buf.find("\r\n\r\n");
    if (end == std::string::npos) return std::nullopt;
    Response r;
    r.head = buf.substr(0, end + 2);
    r.status_line = buf.substr(0, buf.find("\r\n"));
    const std::size_t cl = r.head.find("Content-Length: ");
    if (cl == std::string::npos) throw std::runtime_error("no Content-Length in " + r.head);
    const std::size_t length = head ? 0 : std::strtoul(r.head.c_str() + cl + 16, nullptr, 10);
    if (buf.size() < end + 4 + length) return std::nullopt;
    r.body = buf.substr(end + 4, length);
    buf.erase(0, end + 4 + length);
    return r;
}

// Reads `n` responses from `c`, failing when they do not arrive within `timeout`; the first
// answers a HEAD when `head_first`.
std::vector<Response> read_responses(TcpConn& c, std::size_t n,
                                     std::chrono::milliseconds timeout = 5s,
                                     bool head_first = false) {
    const auto deadline = Clock::now() + timeout;
    std::string buf;
    std::vector<Response> out;
    while (true) {
        while (auto r = take_response(buf, head_first && out.empty()))
            out.push_back(std::move(*r));
        if (out.size() >= n) break;
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        pollfd p{c.fd(), POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
            throw std::runtime_error("response timeout: " + buf);
        char tmp[65536];
        const ssize_t got = ::recv(c.fd(), tmp, sizeof tmp, 0);
        if (got <= 0) throw std::runtime_error("connection closed before a response: " + buf);
        buf.append(tmp, static_cast<std::size_t>(got));
    }
    REQUIRE(buf.empty());
    return out;
}

// The one response `c` gets before the server closes it, which must say "Connection: close".
Response last_response(TcpConn& c) {
    std::string bytes = c.read_until_closed();
    const auto r = take_response(bytes);
    REQUIRE(r);
    CHECK(bytes.empty());
    CHECK(r->head.find("\r\nConnection: close\r\n") != std::string::npos);
    return *r;
}

std::string get(std::string_view target, std::string_view version = "HTTP/1.1") {
    return std::string("GET ") + std::string(target) + " " + std::string(version) +
           "\r\nHost: beat\r\n\r\n";
}

bool has_header(const Response& r, std::string_view header) {
    return r.head.find(std::string("\r\n") + std::string(header) + "\r\n") != std::string::npos;
}

}  // namespace

TEST_CASE("GET /healthz answers ok and two requests share a keep-alive connection",
          "[server][http]") {
    Server s = start_server();
    REQUIRE(s.http_port != 0);
    TcpConn c(s.http_port);
    c.send(get("/healthz"));
    const auto first = read_responses(c, 1);
    CHECK(first[0].status_line == "HTTP/1.1 200 OK");
    CHECK(first[0].body == "ok\n");
    CHECK(has_header(first[0], "Content-Length: 3"));
    CHECK_FALSE(has_header(first[0], "Connection: close"));
    c.send(get("/nope"));
    const auto second = read_responses(c, 1);
    CHECK(second[0].status_line == "HTTP/1.1 404 Not Found");
    CHECK_FALSE(has_header(second[0], "Connection: close"));
}

TEST_CASE("HEAD /healthz gets the headers of GET and no body", "[server][http]") {
    Server s = start_server();
    TcpConn c(s.http_port);
    c.send("HEAD /healthz HTTP/1.1\r\n\r\n" + get("/nope"));
    // Were a body sent after the HEAD response, the second response would not parse.
    const auto r = read_responses(c, 2, 5s, true);
    CHECK(r[0].status_line == "HTTP/1.1 200 OK");
    CHECK(has_header(r[0], "Content-Length: 3"));
    CHECK(r[1].status_line == "HTTP/1.1 404 Not Found");
}

TEST_CASE("pipelined HTTP requests are answered in order", "[server][http]") {
    Server s = start_server();
    TcpConn c(s.http_port);
    std::string burst;
    for (int i = 0; i < 20; ++i)
        burst += get(i % 3 == 1 ? "/nope" : "/healthz");
    c.send(burst);
    const auto r = read_responses(c, 20);
    for (int i = 0; i < 20; ++i) {
        INFO("response " << i);
        CHECK(r[i].status_line == (i % 3 == 1 ? "HTTP/1.1 404 Not Found" : "HTTP/1.1 200 OK"));
    }
}

TEST_CASE("an HTTP/1.0 request is answered and its connection closed", "[server][http]") {
    Server s = start_server();
    TcpConn c(s.http_port);
    c.send(get("/healthz", "HTTP/1.0") + get("/healthz", "HTTP/1.0"));
    CHECK(last_response(c).status_line == "HTTP/1.1 200 OK");
}

TEST_CASE("a malformed HTTP request is answered 400 and closed while others are served",
          "[server][http]") {
    Server s = start_server();
    TcpConn other(s.http_port);
    other.send(get("/healthz"));
    CHECK(read_responses(other, 1)[0].status_line == "HTTP/1.1 200 OK");

    TcpConn bad(s.http_port);
    bad.send("GET / HTTP/1.1 extra\r\n\r\n" + get("/healthz"));
    CHECK(last_response(bad).status_line == "HTTP/1.1 400 Bad Request");

    other.send(get("/healthz"));
    CHECK(read_responses(other, 1)[0].status_line == "HTTP/1.1 200 OK");
}

TEST_CASE("a 20 KiB header is answered 431 and a 10 KiB target 414", "[server][http]") {
    Server s = start_server();
    {
        TcpConn c(s.http_port);
        c.send("GET /healthz HTTP/1.1\r\nX-Pad: " + std::string(20 * 1024, 'p') + "\r\n\r\n");
        CHECK(last_response(c).status_line == "HTTP/1.1 431 Request Header Fields Too Large");
    }
    {
        TcpConn c(s.http_port);
        c.send(get("/" + std::string(10 * 1024, 't')));
        CHECK(last_response(c).status_line == "HTTP/1.1 414 URI Too Long");
    }
    TcpConn after(s.http_port);
    after.send(get("/healthz"));
    CHECK(read_responses(after, 1)[0].status_line == "HTTP/1.1 200 OK");
}

TEST_CASE("an HTTP request trickled byte by byte is still answered", "[server][http]") {
    Server s = start_server();
    TcpConn c(s.http_port);
    const int one = 1;
    ::setsockopt(c.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const std::string req = get("/healthz");
    for (char ch : req) {
        pollfd p{c.fd(), POLLIN, 0};
        REQUIRE(::poll(&p, 1, 0) == 0);  // Nothing is answered before the request is complete.
        c.send(std::string_view(&ch, 1));
    }
    const auto r = read_responses(c, 1);
    CHECK(r[0].status_line == "HTTP/1.1 200 OK");
    CHECK(r[0].body == "ok\n");
}

TEST_CASE("an idle HTTP connection is closed after --http-idle-timeout", "[server][http]") {
    Server s = start_server({"--http-idle-timeout", "0.5"});
    TcpConn answered(s.http_port);
    answered.send(get("/healthz"));
    CHECK(read_responses(answered, 1)[0].status_line == "HTTP/1.1 200 OK");
    TcpConn partial(s.http_port);
    const auto start = Clock::now();
    partial.send("GET /healthz HTTP/1.1\r\nHost: be");
    // Both end with nothing written back: the idle one after its answer, the partial one
    // without an answer.
    CHECK(answered.read_until_closed(5s).empty());
    CHECK(partial.read_until_closed(5s).empty());
    CHECK(Clock::now() - start >= 400ms);
    TcpConn fresh(s.http_port);
    fresh.send(get("/healthz"));
    CHECK(read_responses(fresh, 1)[0].status_line == "HTTP/1.1 200 OK");
}

TEST_CASE("the server exits 0 on SIGTERM with HTTP connections open", "[server][http]") {
    Server s = start_server();
    TcpConn idle(s.http_port);
    TcpConn partial(s.http_port);
    partial.send("GET /healthz HTTP/1.1\r\n");
    TcpConn answered(s.http_port);
    answered.send(get("/healthz"));
    CHECK(read_responses(answered, 1)[0].status_line == "HTTP/1.1 200 OK");
    s.proc->signal(SIGTERM);
    CHECK(s.proc->wait_exit(5s) == 0);
    CHECK(idle.read_until_closed(5s).empty());
}

TEST_CASE("an HTTP client that pipelines without reading is held back and answered once it reads",
          "[server][http]") {
    Server s = start_server();
    TcpConn sample(s.http_port);
    const std::string req = get("/healthz");
    sample.send(req);
    const Response one = read_responses(sample, 1)[0];
    const std::string answer = one.head + "\r\n" + one.body;

    TcpConn greedy(s.http_port);
    std::string burst;
    for (int i = 0; i < 4096; ++i)
        burst += req;
    const std::size_t rss_before = vm_rss_kib(s.proc->pid());
    // Send until the server takes no more: with its reply queue full it stops reading, and the
    // socket buffers between fill up.
    std::size_t sent = 0;
    const auto deadline = Clock::now() + 30s;
    while (Clock::now() < deadline) {
        const std::size_t n =
            send_what_fits(greedy.fd(), std::string_view(burst).substr(sent % burst.size()));
        sent += n;
        if (n > 0) continue;
        pollfd p{greedy.fd(), POLLOUT, 0};
        if (::poll(&p, 1, 1000) == 0) break;
    }
    REQUIRE(Clock::now() < deadline);  // It stopped reading before the deadline.
    const std::size_t rss_held = vm_rss_kib(s.proc->pid());
    if (!sanitized()) CHECK(rss_held < rss_before + 32 * 1024);

    TcpConn other(s.http_port);  // The loop still serves others.
    other.send(req);
    CHECK(read_responses(other, 1)[0].status_line == "HTTP/1.1 200 OK");

    // Every complete request sent is answered, in order, once the client reads.
    const std::size_t expected = sent / req.size() * answer.size();
    std::size_t received = 0;
    bool same = true;
    char tmp[65536];
    while (received < expected) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        pollfd p{greedy.fd(), POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) != 1) break;
        const ssize_t got = ::recv(greedy.fd(), tmp, sizeof tmp, 0);
        if (got <= 0) break;
        for (ssize_t i = 0; i < got; ++i)
            same &= tmp[i] == answer[(received + static_cast<std::size_t>(i)) % answer.size()];
        received += static_cast<std::size_t>(got);
    }
    CHECK(received == expected);
    CHECK(same);
    INFO("requests sent: " << sent / req.size() << ", server RSS " << rss_before << " KiB before, "
                           << rss_held << " KiB while held");
    CHECK(sent / req.size() > 10'000);
}

TEST_CASE("HTTP connections beyond the limit of 256 are closed at once", "[server][http]") {
    Server s = start_server();
    std::vector<std::unique_ptr<TcpConn>> open;
    for (int i = 0; i < 256; ++i) {
        open.push_back(std::make_unique<TcpConn>(s.http_port));
        open.back()->send(get("/healthz"));
        REQUIRE(read_responses(*open.back(), 1)[0].status_line == "HTTP/1.1 200 OK");
    }
    TcpConn beyond(s.http_port);
    CHECK(beyond.read_until_closed(5s).empty());
    CHECK(s.proc->wait_for_line("http connection limit reached"));
    open.pop_back();
    // The server notices the close when it reads the end of the stream; a new connection may
    // still race it, so it is retried a bounded number of times.
    bool served = false;
    for (int attempt = 0; attempt < 50 && !served; ++attempt) {
        TcpConn again(s.http_port);
        try {
            again.send(get("/healthz"));
            served = read_responses(again, 1, 1s)[0].status_line == "HTTP/1.1 200 OK";
        } catch (const std::runtime_error&) {
        }
    }
    CHECK(served);
}

TEST_CASE("with --http off the server listens on no HTTP port and still serves the others",
          "[server][http]") {
    Server s = start_server({"--http", "off"});
    CHECK(s.http_port == 0);
    const auto lines = s.proc->lines();
    const auto listening = std::find_if(lines.begin(), lines.end(), [](const std::string& l) {
        return l.find("INFO listening ") != std::string::npos;
    });
    REQUIRE(listening != lines.end());
    CHECK(field(*listening, "http") == "off");
    CHECK(tcp_request(s.tcp_port, "get *\n") == "ok\n\n");
    s.proc->signal(SIGTERM);
    CHECK(s.proc->wait_exit(5s) == 0);
}
