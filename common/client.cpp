#include "common/client.hpp"

#include <fmt/core.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

#include "common/endpoint.hpp"
#include "common/line_framer.hpp"
#include "common/parse_number.hpp"

namespace beat {
namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(int err) {
    return std::strerror(err);
}

// The numeric "addr:port" of a resolved address, for messages.
std::string address_text(const addrinfo& ai) {
    char host[NI_MAXHOST];
    char serv[NI_MAXSERV];
    if (::getnameinfo(ai.ai_addr, ai.ai_addrlen, host, sizeof host, serv, sizeof serv,
                      NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        return "?";
    }
    const auto port = parse_u64(serv);
    return to_string(Endpoint{host, static_cast<std::uint16_t>(port ? *port : 0)});
}

// Milliseconds left until `deadline`, rounded up so that poll() never wakes just before it.
int remaining_ms(Clock::time_point deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return 0;
    return left.count() > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(left.count());
}

// Waits for `fd` to become ready for `events` until `deadline`. Returns 0 when ready, ETIMEDOUT
// when the deadline passed, or an errno value from poll().
int poll_until(int fd, short events, Clock::time_point deadline) {
    while (true) {
        const int ms = remaining_ms(deadline);
        if (ms == 0) return ETIMEDOUT;
        pollfd p{fd, events, 0};
        const int rc = ::poll(&p, 1, ms);
        if (rc > 0) return 0;
        if (rc < 0 && errno != EINTR) return errno;
    }
}

// Connects a non-blocking socket to `ai` by `deadline`. Returns the socket, or -1 with `error`
// saying why.
int connect_one(const addrinfo& ai, Clock::time_point deadline, std::string& error) {
    const int fd =
        ::socket(ai.ai_family, ai.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai.ai_protocol);
    if (fd < 0) {
        error = "socket: " + errno_text(errno);
        return -1;
    }
    int err = 0;
    if (::connect(fd, ai.ai_addr, ai.ai_addrlen) != 0) {
        err = errno;
        if (err == EINPROGRESS || err == EINTR) {
            err = poll_until(fd, POLLOUT, deadline);
            if (err == 0) {
                socklen_t len = sizeof err;
                if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
            }
        }
    }
    if (err != 0) {
        error = err == ETIMEDOUT ? "timed out" : errno_text(err);
        ::close(fd);
        return -1;
    }
    // Requests are small and each waits for its reply, so Nagle's algorithm would only delay them.
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

}  // namespace

Client::Client(std::string host, std::uint16_t port, std::chrono::milliseconds timeout)
    : where_(to_string(Endpoint{host, port})), timeout_(timeout) {
    const auto deadline = Clock::now() + timeout_;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
    if (rc != 0) {
        throw ClientError(fmt::format("cannot resolve '{}': {}", host,
                                      rc == EAI_SYSTEM ? errno_text(errno) : ::gai_strerror(rc)));
    }
    const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, ::freeaddrinfo);
    std::string errors;
    for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
        std::string error;
        fd_ = connect_one(*ai, deadline, error);
        if (fd_ >= 0) return;
        if (!errors.empty()) errors += "; ";
        errors += found->ai_next == nullptr ? error : address_text(*ai) + ": " + error;
    }
    throw ClientError(fmt::format("cannot connect to {}: {}", where_, errors));
}

Client::~Client() {
    close_socket();
}

Client::Client(Client&& other) noexcept
    : where_(other.where_),  // Kept by both, for messages.
      timeout_(other.timeout_),
      fd_(std::exchange(other.fd_, -1)),
      inbox_(std::move(other.inbox_)),
      lost_reason_(std::exchange(other.lost_reason_, "the client was moved")) {}

Client& Client::operator=(Client&& other) noexcept {
    if (this != &other) {
        close_socket();
        where_ = other.where_;
        timeout_ = other.timeout_;
        fd_ = std::exchange(other.fd_, -1);
        inbox_ = std::move(other.inbox_);
        lost_reason_ = std::exchange(other.lost_reason_, "the client was moved");
    }
    return *this;
}

void Client::put(std::string_view key, double value, std::optional<std::int64_t> timestamp) {
    if (key.find_first_of("\r\n") != std::string_view::npos) {
        throw ClientError("a key must not contain a line break");
    }
    const std::int64_t ts = timestamp ? *timestamp
                                      : std::chrono::duration_cast<std::chrono::seconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count();
    exchange(format_put(key, value, ts));
}

SeriesMap Client::get(std::string_view key) {
    return exchange_get(key).series;
}

std::vector<std::pair<std::string, Points>> Client::get_in_order(std::string_view key) {
    Reply reply = exchange_get(key);
    std::vector<std::pair<std::string, Points>> out;
    out.reserve(reply.keys.size());
    for (std::string& k : reply.keys) {
        Points& points = reply.series[k];
        out.emplace_back(std::move(k), std::move(points));
    }
    return out;
}

Reply Client::exchange_get(std::string_view key) {
    if (key.find_first_of("\r\n") != std::string_view::npos) {
        throw ClientError("a key must not contain a line break");
    }
    return exchange(format_get(key));
}

Reply Client::exchange(std::string_view request) {
    if (fd_ < 0) throw ClientError(fmt::format("not connected to {}: {}", where_, lost_reason_));
    const auto deadline = Clock::now() + timeout_;
    send_all(request, deadline);
    Reply reply = read_reply(deadline);
    if (reply.kind == Reply::Kind::error) {
        throw ClientError(fmt::format("{} answered with an error: {}", where_, reply.message));
    }
    return reply;
}

void Client::send_all(std::string_view data, Deadline deadline) {
    while (!data.empty()) {
        const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n >= 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            wait_for(POLLOUT, deadline, "to send a request to");
        } else if (errno != EINTR) {
            fail_io("cannot send to", errno);
        }
    }
}

Reply Client::read_reply(Deadline deadline) {
    // Every reply ends with an empty line. Parsing only when one arrives, when a line grows past
    // the limit, or when the buffer has doubled (so that garbage is noticed early) keeps a reply
    // that comes in many pieces linear to read. Bytes left over from an earlier read, which start
    // at a line boundary, may already hold the whole reply.
    std::size_t scanned = 0;      // Bytes of inbox_ looked at for line ends.
    std::size_t line_start = 0;   // Where the line being received starts.
    std::size_t parsed_size = 0;  // The buffer's size when it last parsed as incomplete.
    while (true) {
        bool parse_now = inbox_.size() >= 2 * parsed_size && inbox_.size() > parsed_size;
        for (; scanned < inbox_.size(); ++scanned) {
            if (inbox_[scanned] != '\n') continue;
            const std::size_t len = scanned - line_start;
            if (len == 0 || (len == 1 && inbox_[line_start] == '\r') || len > kMaxLineLength) {
                parse_now = true;
            }
            line_start = scanned + 1;
        }
        if (inbox_.size() - line_start > kMaxLineLength) parse_now = true;
        if (parse_now) {
            Reply reply = parse_reply(inbox_);
            if (reply.kind == Reply::Kind::malformed) {
                fail(fmt::format("unparseable reply from {}: {}", where_, reply.message));
            }
            if (reply.kind != Reply::Kind::need_more) {
                inbox_.erase(0, reply.consumed);
                return reply;
            }
            parsed_size = inbox_.size();
        }
        wait_for(POLLIN, deadline, "for a reply from");
        char buf[64 * 1024];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n == 0) {
            fail(fmt::format("{} closed the connection{}", where_,
                             inbox_.empty() ? "" : " in the middle of a reply"));
        }
        if (n > 0) {
            inbox_.append(buf, static_cast<std::size_t>(n));
        } else if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
            fail_io("cannot read from", errno);
        }
    }
}

void Client::wait_for(short events, Deadline deadline, std::string_view waiting_for) {
    const int err = poll_until(fd_, events, deadline);
    if (err == ETIMEDOUT) {
        fail(fmt::format("timed out after {} ms waiting {} {}", timeout_.count(), waiting_for,
                         where_));
    }
    if (err != 0) fail(fmt::format("cannot wait for {}: {}", where_, errno_text(err)));
}

void Client::fail_io(std::string_view doing, int err) {
    if (err == ECONNRESET || err == EPIPE) {
        fail(fmt::format("{} closed the connection ({})", where_, errno_text(err)));
    }
    fail(fmt::format("{} {}: {}", doing, where_, errno_text(err)));
}

void Client::fail(std::string reason) {
    close_socket();
    lost_reason_ = reason;
    throw ClientError(std::move(reason));
}

void Client::close_socket() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    inbox_.clear();
}

}  // namespace beat
