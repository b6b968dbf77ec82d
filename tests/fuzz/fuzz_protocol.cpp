// Fuzz driver for the put/get protocol as a TCP connection sees it: the line framer
// (common/line_framer.hpp), the request parser (common/protocol.hpp) and the executor
// (beat_server/core/query/executor.hpp) over a store with small retention limits.
//
// The input is the byte stream a client sends. It is fed in chunks of sizes derived from its
// hash, the way the TCP glue pumps reads: complete lines are executed, "need more" waits for the
// next chunk, and a line over the limit (sometimes kMaxLineLength, sometimes a few bytes, also
// derived from the hash) gets its reply and ends the connection.
//
// Invariants:
// - A request is malformed exactly when it carries a reason, and a put's or get's key is a valid
//   key inside its line.
// - The framer returns lines inside the buffer, without '\n' and within the limit, and never
//   leaves more than limit + 1 bytes waiting.
// - Each line and the over-long line gets exactly one reply, and every reply is well formed:
//   "ok\n", lines of three non-empty space-separated fields, "\n"; or exactly one of
//   "error\nwrong command\n\n", "error\nline too long\n\n" and the key limit reply. The client's
//   parse_reply() reads each one whole, as ok or error.
// - The reply stream does not depend on how the input was split into chunks.
// - After each retention sweep (one per request) the store holds at most max_keys keys, each
//   with at most max_points_per_key points plus the 1/16 the sweep's batching allows.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "beat_server/core/query/executor.hpp"
#include "beat_server/core/store/store.hpp"
#include "common/line_framer.hpp"
#include "common/protocol.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace beat::fuzz {
namespace {

constexpr RetentionLimits kLimits{3'600, 16, 8};
constexpr std::int64_t kNow = 1'700'000'000;

// A request is malformed exactly when it carries a reason, and its key points into its line.
void check_request(std::string_view line, const Request& req) {
    const bool malformed = req.kind == Request::Kind::malformed;
    FUZZ_CHECK(malformed == (req.error != RequestError::none));
    FUZZ_CHECK(static_cast<std::size_t>(req.error) < kRequestErrorCount);
    FUZZ_CHECK(to_string(req.error) != "unknown");
    if (req.kind == Request::Kind::put || req.kind == Request::Kind::get) {
        FUZZ_CHECK(within(line, req.key) && valid_key(req.key));
    }
}

// One connection: what the TCP server keeps for it, with its own store.
class Connection {
  public:
    explicit Connection(std::size_t max_line) : max_line_(max_line) {}

    // Takes the next bytes read from the socket; replies are appended to replies().
    void feed(std::string_view bytes) {
        if (closed_) return;
        in_.append(bytes);
        std::size_t pos = 0;
        while (true) {
            const std::string_view rest = std::string_view(in_).substr(pos);
            const Frame f = next_line(rest, max_line_);
            if (f.kind == Frame::Kind::need_more) break;
            ++requests_;
            if (f.kind == Frame::Kind::too_long) {
                executor_.too_long(out_);
                closed_ = true;
                break;
            }
            FUZZ_CHECK(f.consumed > 0 && f.consumed <= rest.size());
            FUZZ_CHECK(rest[f.consumed - 1] == '\n');
            FUZZ_CHECK(within(rest.substr(0, f.consumed - 1), f.line));
            FUZZ_CHECK(f.line.size() <= max_line_);
            const Request req = parse_request(f.line);
            check_request(f.line, req);
            executor_.execute(req, out_, kNow);
            sweep();
            pos += f.consumed;
        }
        in_.erase(0, pos);
        FUZZ_CHECK(closed_ || in_.size() <= max_line_ + 1);
    }

    std::string_view replies() const noexcept { return out_; }
    std::size_t requests() const noexcept { return requests_; }

  private:
    // Applies the retention to every key after every request, so that what a get returns does
    // not depend on the chunking either.
    void sweep() {
        store_.sweep(kNow, std::numeric_limits<std::size_t>::max());
        FUZZ_CHECK(store_.key_count() <= kLimits.max_keys);
        const std::size_t max_points = kLimits.max_points_per_key + kLimits.max_points_per_key / 15;
        for (const Store::Entry* e : store_.entries())
            FUZZ_CHECK(e->second.points().size() <= max_points);
    }

    std::size_t max_line_;
    Store store_{kLimits};
    Executor executor_{store_};
    std::string in_, out_;
    std::size_t requests_ = 0;
    bool closed_ = false;
};

// Checks one "<key> <value> <timestamp>" line of an ok reply.
void check_point_line(std::string_view line) {
    std::size_t fields = 0;
    while (true) {
        const std::size_t sp = line.find(' ');
        FUZZ_CHECK(sp != 0 && !line.empty());
        ++fields;
        if (sp == std::string_view::npos) break;
        line.remove_prefix(sp + 1);
    }
    FUZZ_CHECK(fields == 3);
}

// Checks every reply in `out` and returns how many there are.
std::size_t check_replies(std::string_view out) {
    std::string key_limit;
    append_error(key_limit, "key limit reached: max-keys=" + std::to_string(kLimits.max_keys));
    const std::string_view errors[] = {"error\nwrong command\n\n", "error\nline too long\n\n",
                                       key_limit};
    std::size_t n = 0;
    while (!out.empty()) {
        std::size_t size = 0;
        for (std::string_view e : errors) {
            if (out.starts_with(e)) size = e.size();
        }
        if (size == 0) {
            FUZZ_CHECK(out.starts_with("ok\n"));
            size = 3;
            while (true) {
                const std::size_t nl = out.find('\n', size);
                FUZZ_CHECK(nl != std::string_view::npos);
                const std::string_view line = out.substr(size, nl - size);
                size = nl + 1;
                if (line.empty()) break;
                check_point_line(line);
            }
        }
        const Reply r = parse_reply(out);
        FUZZ_CHECK(r.kind == (out.starts_with("ok\n") ? Reply::Kind::ok : Reply::Kind::error));
        FUZZ_CHECK(r.consumed == size);
        out.remove_prefix(size);
        ++n;
    }
    return n;
}

}  // namespace
}  // namespace beat::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace beat::fuzz;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::uint64_t h = fnv1a(input);
    const std::size_t max_line = h % 2 ? beat::kMaxLineLength : 1 + (h >> 1) % 64;

    Connection whole(max_line);
    whole.feed(input);

    Connection chunked(max_line);
    feed_in_chunks(input, h, 32, [&](std::string_view chunk) { chunked.feed(chunk); });

    FUZZ_CHECK(chunked.replies() == whole.replies());
    FUZZ_CHECK(check_replies(whole.replies()) == whole.requests());
    return 0;
}
