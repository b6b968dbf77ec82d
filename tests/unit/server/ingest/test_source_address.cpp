#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include "beat_server/core/ingest/source_address.hpp"

using namespace beat;

TEST_CASE("IPv4 and IPv6 sources print with their port", "[source_address]") {
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    v4.sin_port = htons(4321);
    inet_pton(AF_INET, "192.0.2.7", &v4.sin_addr);
    const SourceAddress a(reinterpret_cast<const sockaddr*>(&v4));
    CHECK(a.to_string() == "192.0.2.7:4321");
    CHECK(a.ip() == "192.0.2.7");

    sockaddr_in6 v6{};
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(80);
    inet_pton(AF_INET6, "2001:db8::1", &v6.sin6_addr);
    const SourceAddress b(reinterpret_cast<const sockaddr*>(&v6));
    CHECK(b.to_string() == "[2001:db8::1]:80");
    CHECK(b.ip() == "2001:db8::1");
    CHECK_FALSE(a == b);
}

TEST_CASE("addresses compare by family, address and port", "[source_address]") {
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    v4.sin_port = htons(1);
    v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const SourceAddress a(reinterpret_cast<const sockaddr*>(&v4));
    CHECK(a == SourceAddress(reinterpret_cast<const sockaddr*>(&v4)));
    v4.sin_port = htons(2);
    CHECK_FALSE(a == SourceAddress(reinterpret_cast<const sockaddr*>(&v4)));
}

TEST_CASE("an unknown or missing address prints as a dash", "[source_address]") {
    CHECK(SourceAddress().to_string() == "-");
    CHECK(SourceAddress(nullptr).to_string() == "-");
}
