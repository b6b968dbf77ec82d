// What the monitor's tests share: source addresses (IPv4 ones from source_addresses.hpp), a sink
// that keeps the events, an outbox that keeps the datagrams sent, and a monitor with all three.
#pragma once

#include <arpa/inet.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "beat_server/core/ingest/monitor.hpp"
#include "common/control.hpp"
#include "tests/unit/server/ingest/source_addresses.hpp"

namespace beat::test {

// The IPv6 address `ip`, port `port`.
inline SourceAddress addr6(const char* ip, std::uint16_t port) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    inet_pton(AF_INET6, ip, &a.sin6_addr);
    return SourceAddress(reinterpret_cast<const sockaddr*>(&a));
}

// Keeps every event as it was given.
struct Events final : EventSink {
    std::vector<Event> kept;
    void on_event(const Event& e) override { kept.push_back(e); }
    // How many events of kind T were kept.
    template <typename T>
    int count() const {
        int n = 0;
        for (const Event& e : kept)
            n += std::holds_alternative<T>(e);
        return n;
    }
    // The events of kind T kept, in order.
    template <typename T>
    std::vector<T> of() const {
        std::vector<T> out;
        for (const Event& e : kept)
            if (const T* x = std::get_if<T>(&e)) out.push_back(*x);
        return out;
    }
};

// A datagram the monitor sent.
struct Sent {
    std::string bytes;
    std::string to;
};

// Keeps every datagram the monitor sends.
struct Outbox final : DatagramOut {
    std::vector<Sent> sent;
    void send(std::string_view bytes, const SourceAddress& to) noexcept override {
        sent.push_back({std::string(bytes), to.to_string()});
    }
    // The control datagrams sent of `type`, decoded (views into `sent`).
    std::vector<ControlView> of(ControlType type) const {
        std::vector<ControlView> out;
        for (const Sent& s : sent) {
            ControlView c;
            REQUIRE(decode_control(s.bytes, c) == DecodeError::ok);
            if (c.type == type) out.push_back(c);
        }
        return out;
    }
};

// A monitor of `config` over a store, events and an outbox of its own.
struct MonitorFixture {
    explicit MonitorFixture(const MonitorConfig& c) : config(c), mon(config, store, events, &out) {}
    MonitorConfig config;
    Store store;
    Events events;
    Outbox out;
    Monitor mon;
};

}  // namespace beat::test
