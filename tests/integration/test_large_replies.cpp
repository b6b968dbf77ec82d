// Large put/get replies against the real server: a get * far beyond the high-water mark, to a
// client that does not read, is written in slices as it reads.
#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <string>

#include "tests/integration/harness.hpp"

using namespace beat::test;

TEST_CASE("a 19 MB get * to a client that does not read keeps the server's memory flat",
          "[server][large_replies]") {
    Server s = start_server({"--durability", "off"});
    // 1,600 keys of 100 points, each reply line 120 bytes: a get * reply of 19 MB.
    const std::string stem(96, 'm');
    std::string expected = "ok\n";
    std::string one_key;  // The reply to "get <the first key>".
    {
        TcpConn writer(s.tcp_port);
        for (int k = 0; k < 1600; ++k) {
            const std::string key = "host-" + std::to_string(1000 + k) + "." + stem;
            std::string puts;
            for (int t = 1; t <= 100; ++t) {
                const std::string ts = std::to_string(1'700'000'000 + t);
                puts += "put " + key + " 0.25 " + ts + "\n";
                expected += key + " 0.25 " + ts + "\n";
            }
            writer.send(puts);
            writer.read_replies(100);
            if (k == 0) one_key = expected + "\n";
        }
    }
    expected += "\n";
    const std::string first_key = "host-1000." + stem;
    const std::size_t rss_before = vm_rss_kib(s.proc->pid());

    TcpConn hog(s.tcp_port);
    int buf = 64 * 1024;
    setsockopt(hog.fd(), SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    // A request pipelined after the get *: answered after it, in order.
    hog.send("get *\nget " + first_key + "\n");
    pollfd p{hog.fd(), POLLIN, 0};
    REQUIRE(::poll(&p, 1, 5000) == 1);  // The reply has begun; the hog reads no more for now.

    // The loop answers others meanwhile, and holds about the high-water mark for the hog.
    CHECK(tcp_request(s.tcp_port, "get " + first_key + "\n") == one_key);
    const std::size_t rss_held = vm_rss_kib(s.proc->pid());
    if (!sanitized()) CHECK(rss_held < rss_before + 8 * 1024);

    // Then the hog reads it all, byte for byte.
    const std::string got = hog.read_replies(2, 30s);
    CHECK(got.size() == expected.size() + one_key.size());
    CHECK(got.compare(0, expected.size(), expected) == 0);
    CHECK(got.substr(expected.size()) == one_key);
}
