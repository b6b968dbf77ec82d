#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/endpoint.hpp"

using namespace beat;

TEST_CASE("HOST:PORT is split at the colon", "[endpoint]") {
    CHECK(parse_endpoint("127.0.0.1:8888") == Endpoint{"127.0.0.1", 8888});
    CHECK(parse_endpoint("localhost:0") == Endpoint{"localhost", 0});
    CHECK(parse_endpoint("beat.example.org:65535") == Endpoint{"beat.example.org", 65535});
    CHECK(parse_endpoint("0.0.0.0:1") == Endpoint{"0.0.0.0", 1});
}

TEST_CASE("an IPv6 address is written in brackets", "[endpoint]") {
    CHECK(parse_endpoint("[::1]:8888") == Endpoint{"::1", 8888});
    CHECK(parse_endpoint("[::]:9") == Endpoint{"::", 9});
    CHECK(parse_endpoint("[fe80::1%eth0]:80") == Endpoint{"fe80::1%eth0", 80});
    CHECK(parse_endpoint("[2001:db8::42]:443") == Endpoint{"2001:db8::42", 443});
}

TEST_CASE("a bare host takes the default port when there is one", "[endpoint]") {
    CHECK(parse_endpoint("localhost", 8888) == Endpoint{"localhost", 8888});
    CHECK(parse_endpoint("[::1]", 8888) == Endpoint{"::1", 8888});
    CHECK(parse_endpoint("10.1.2.3:7", 8888) == Endpoint{"10.1.2.3", 7});
    CHECK_FALSE(parse_endpoint("localhost"));
    CHECK_FALSE(parse_endpoint("[::1]"));
}

TEST_CASE("a port with leading zeros is read as decimal", "[endpoint]") {
    CHECK(parse_endpoint("h:080") == Endpoint{"h", 80});
}

TEST_CASE("anything else is not an endpoint", "[endpoint]") {
    const std::vector<std::string> bad = {"",
                                          ":",
                                          ":80",
                                          "host:",
                                          "host:65536",
                                          "host:99999999999999999999",
                                          "host:-1",
                                          "host:+80",
                                          "host:-0",
                                          "host:80x",
                                          "host:0x50",
                                          "host: 80",
                                          "host:80 ",
                                          " host:80",
                                          "ho st:80",
                                          "host\t:80",
                                          std::string("ho\0st:80", 8),
                                          "host:8.0",
                                          "::1:80",
                                          "::1",
                                          "fe80::1",
                                          "[::1]:",
                                          "[::1]x",
                                          "[::1]:x",
                                          "[::1",
                                          "::1]:80",
                                          "[]:80",
                                          "[]",
                                          "[::1]::80",
                                          "[::1]:80:",
                                          "[ ::1]:80",
                                          "host:80:90"};
    for (const std::string& text : bad) {
        INFO("'" << text << "'");
        CHECK_FALSE(parse_endpoint(text));
        CHECK_FALSE(parse_endpoint(text, 8888));
    }
    CHECK_FALSE(parse_endpoint("", 8888));
    CHECK_FALSE(parse_endpoint("[]", 8888));
}

TEST_CASE("an endpoint is written back in the form it is read", "[endpoint]") {
    CHECK(to_string(Endpoint{"127.0.0.1", 8888}) == "127.0.0.1:8888");
    CHECK(to_string(Endpoint{"localhost", 0}) == "localhost:0");
    CHECK(to_string(Endpoint{"::1", 8888}) == "[::1]:8888");
    CHECK(to_string(Endpoint{"fe80::1%eth0", 65535}) == "[fe80::1%eth0]:65535");
    for (const char* text : {"127.0.0.1:8888", "[::1]:1", "a.b.c:65535", "[2001:db8::42]:443"}) {
        INFO(text);
        const auto e = parse_endpoint(text);
        REQUIRE(e);
        CHECK(to_string(*e) == text);
        CHECK(parse_endpoint(to_string(*e)) == e);
    }
}
