// Sends each beat's datagrams over UDP to every server. Never blocks: host names are resolved on
// libuv's thread pool (again every resolve interval), and a datagram the socket cannot take at
// once is dropped. A server that fails (cannot be resolved, refuses datagrams) is logged once
// when it starts failing and once when it works again.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/endpoint.hpp"

namespace beat {

class Sender {
  public:
    // Prepares one connected UDP socket per server. Numeric addresses are used as they are; host
    // names are looked up by start(). Throws UvError when libuv refuses a handle.
    Sender(uv_loop_t* loop, const std::vector<Endpoint>& servers, std::int64_t resolve_interval_ms);
    Sender(const Sender&) = delete;
    Sender& operator=(const Sender&) = delete;
    ~Sender();

    // Starts the first lookups and, when `periodic`, the timer that repeats them.
    void start(bool periodic = true);

    // Sends `datagrams` to every server that has an address; returns how many servers took them
    // all. Judges each server on the way: one that reported no error since the previous beat is
    // reachable again.
    std::size_t send(const std::vector<std::string>& datagrams) noexcept;

    // True while a host name lookup is running.
    bool resolving() const noexcept;

    // Closes every handle; lookups not yet started are cancelled, and the result of one already
    // running is ignored. The loop must run until resolving() is false before the Sender is
    // destroyed.
    void close() noexcept;

    // Called by the lookup and the socket callbacks.
    struct Link;

  private:
    static void on_resolve_timer(uv_timer_t* t) noexcept;

    uv_loop_t* loop_;
    std::vector<std::unique_ptr<Link>> links_;
    std::int64_t resolve_interval_ms_;
    uv_timer_t* resolve_timer_ = nullptr;  // From init_handle(); freed in its close callback.
    bool closed_ = false;
};

}  // namespace beat
