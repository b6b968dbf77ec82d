// A blocking client for the put/get text protocol: one TCP connection, one request at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/protocol.hpp"

namespace beat {

// Every failure of a Client: name lookup, connect, send, timeout, an error reply, a reply that
// cannot be parsed, or the server closing the connection. what() says which, and where.
class ClientError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class Client {
  public:
    // Resolves `host` (a name, an IPv4 literal or an IPv6 literal without brackets) and connects
    // to the first of its addresses that accepts, all within `timeout` (the system resolver keeps
    // its own timeouts). The connection is kept for every later request. Throws ClientError.
    Client(std::string host, std::uint16_t port, std::chrono::milliseconds timeout);
    ~Client();
    Client(Client&& other) noexcept;
    Client& operator=(Client&& other) noexcept;
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Stores `value` for `key` at `timestamp` (seconds; the current time when absent). Sending
    // the request and reading the reply together take at most the timeout. Throws ClientError,
    // with the server's reason on an error reply. `key` must not contain a line break; any other
    // key is sent as it is and judged by the server.
    void put(std::string_view key, double value, std::optional<std::int64_t> timestamp = {});

    // The points stored for `key`, or for every key with "*", each list sorted by timestamp.
    // Same timeout and errors as put().
    SeriesMap get(std::string_view key);
    // Like get(), with the keys in the order the server listed them (first insertion for "*").
    std::vector<std::pair<std::string, Points>> get_in_order(std::string_view key);

    // After a timeout, a broken or closed connection or a reply that cannot be parsed, the
    // connection is closed and every later request throws ClientError saying why. An error
    // reply leaves the connection usable.
    bool connected() const noexcept { return fd_ >= 0; }

  private:
    using Deadline = std::chrono::steady_clock::time_point;

    Reply exchange(std::string_view request);
    Reply exchange_get(std::string_view key);
    void send_all(std::string_view data, Deadline deadline);
    Reply read_reply(Deadline deadline);
    // Waits until the socket is ready for `events`; fails with a timeout at `deadline`, naming
    // what it was `waiting_for` ("for a reply from").
    void wait_for(short events, Deadline deadline, std::string_view waiting_for);
    // Closes the connection, remembers why and throws ClientError with `reason`.
    [[noreturn]] void fail(std::string reason);
    // fail() for a socket call that failed with `err` while `doing` ("cannot send to").
    [[noreturn]] void fail_io(std::string_view doing, int err);
    void close_socket() noexcept;

    std::string where_;  // "host:port", for messages.
    std::chrono::milliseconds timeout_;
    int fd_ = -1;
    std::string inbox_;        // Received bytes not yet consumed by a reply.
    std::string lost_reason_;  // Why the connection was closed, once it was.
};

}  // namespace beat
