// Fuzz driver for the HTTP request parser (beat_server/core/http/http_request_parser.hpp) as the
// HTTP port feeds it: the bytes a client sends, handed on read by read, each read parsed until the
// parser needs more.
//
// The input is the byte stream. It is parsed whole, in chunks of sizes derived from its hash, and
// (when short) byte by byte, each time with a header limit also derived from the hash (sometimes
// the default, sometimes a few dozen bytes, so that 431 is reached).
//
// Invariants:
// - Every call consumes no more than it was given; need_more consumes everything; a request
//   consumes at least one byte; after an error or a request that closes the connection, every
//   call returns closed and consumes nothing.
// - A request has a method and a non-empty target of at most kMaxTargetBytes; an error's status
//   is one of those the header lists.
// - The sequence of requests (method, target, keep-alive, HTTP version, and the stream offset
//   where each ends) and of errors (status) does not depend on how the stream was split.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "beat_server/core/http/http_request_parser.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace beat::fuzz {
namespace {

struct Event {
    HttpParseStep::Kind kind;
    std::string method, target;
    bool keep_alive = false;
    bool http11 = false;
    std::size_t end = 0;  // For a request: the stream offset just past it.
    int status = 0;
    bool operator==(const Event&) const = default;
};

bool known_error(int status) {
    for (int s : {400, 413, 414, 431, 501, 503, 505})
        if (status == s) return true;
    return false;
}

// One connection: feeds chunks and records what the parser makes of them.
class Connection {
  public:
    explicit Connection(std::size_t max_header) : parser_(max_header) {}

    void feed(std::string_view chunk) {
        // Each call consumes a byte or more, or ends the chunk: the loop is bounded by its size.
        const std::size_t max_calls = chunk.size() + 1;
        for (std::size_t calls = 0; calls < max_calls; ++calls) {
            const HttpParseStep s = parser_.next(chunk);
            FUZZ_CHECK(s.consumed <= chunk.size());
            chunk.remove_prefix(s.consumed);
            offset_ += s.consumed;
            switch (s.kind) {
                case HttpParseStep::Kind::need_more:
                    FUZZ_CHECK(chunk.empty() && !finished());
                    return;
                case HttpParseStep::Kind::request:
                    FUZZ_CHECK(s.consumed > 0);
                    FUZZ_CHECK(!s.request.method.empty());
                    FUZZ_CHECK(!s.request.target.empty());
                    FUZZ_CHECK(s.request.target.size() <= HttpRequestParser::kMaxTargetBytes);
                    FUZZ_CHECK(finished() == !s.request.keep_alive);
                    events_.push_back({s.kind, s.request.method, s.request.target,
                                       s.request.keep_alive, s.request.http11, offset_, 0});
                    if (chunk.empty()) return;
                    break;
                case HttpParseStep::Kind::error:
                    FUZZ_CHECK(known_error(s.status) && finished());
                    events_.push_back({s.kind, {}, {}, false, false, 0, s.status});
                    check_closed();
                    return;
                case HttpParseStep::Kind::closed:
                    FUZZ_CHECK(s.consumed == 0 && finished());
                    check_closed();
                    return;
            }
        }
        FUZZ_CHECK(false);  // The parser made no progress.
    }

    const std::vector<Event>& events() const noexcept { return events_; }

  private:
    // True once the parser reads nothing more, as an empty read tells without changing it.
    bool finished() noexcept {
        const HttpParseStep s = parser_.next({});
        FUZZ_CHECK(s.consumed == 0);
        return s.kind == HttpParseStep::Kind::closed;
    }

    void check_closed() {
        const HttpParseStep again = parser_.next("GET / HTTP/1.1\r\n\r\n");
        FUZZ_CHECK(again.kind == HttpParseStep::Kind::closed && again.consumed == 0);
    }

    HttpRequestParser parser_;
    std::vector<Event> events_;
    std::size_t offset_ = 0;
};

}  // namespace
}  // namespace beat::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace beat::fuzz;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::uint64_t h = fnv1a(input);
    const std::size_t max_header =
        h % 2 ? beat::HttpRequestParser::kDefaultMaxHeaderBytes : 16 + (h >> 1) % 64;

    Connection whole(max_header);
    whole.feed(input);

    Connection chunked(max_header);
    feed_in_chunks(input, h, 64, [&](std::string_view chunk) { chunked.feed(chunk); });
    FUZZ_CHECK(chunked.events() == whole.events());

    if (input.size() <= 2048) {
        Connection bytewise(max_header);
        for (std::size_t pos = 0; pos < input.size(); ++pos)
            bytewise.feed(input.substr(pos, 1));
        FUZZ_CHECK(bytewise.events() == whole.events());
    }
    return 0;
}
