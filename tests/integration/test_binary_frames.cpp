// The --binary port against the real server: the collector's example frame stored exactly and
// read back over put/get, malformed frames closing only their own connection, and frames kept
// across restarts as puts are.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>

#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "common/binary_frame.hpp"
#include "tests/binary_frames.hpp"
#include "tests/integration/harness.hpp"

using namespace beat;
using namespace beat::test;

namespace {

// Sends `parts` on a fresh connection to the binary port, one send() each, then the end of the
// stream, and waits for the server to close it: by then it has handled every byte.
void stream(const Server& s, std::initializer_list<std::string_view> parts) {
    TcpConn c(s.binary_port);
    for (std::string_view p : parts)
        c.send(p);
    REQUIRE(::shutdown(c.fd(), SHUT_WR) == 0);
    CHECK(c.read_until_closed().empty());  // The format has no reply.
}

// Whether /metrics holds the sample line `sample` ("name{labels} value").
bool metrics_have(const Server& s, const std::string& sample) {
    return http_get(s.http_port, "/metrics").body.find("\n" + sample + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("the collector's example frame split at every position is stored exactly",
          "[server][binary]") {
    Server s = start_server({"--binary", "127.0.0.1:0"});
    REQUIRE(s.binary_port != 0);
    for (std::size_t cut = 0; cut <= kSeedFrame.size(); ++cut) {
        INFO("cut at " << cut);
        stream(s, {kSeedFrame.substr(0, cut), kSeedFrame.substr(cut)});
    }
    // 24 frames of one key and one second: a second put replaces the first, as put's do.
    CHECK(tcp_request(s.tcp_port, "get metric\n") == "ok\nmetric 50.123870849609375 1687165\n\n");
    CHECK(metrics_have(s, "beat_binary_frames_total{result=\"stored\"} 24"));
    CHECK(metrics_have(s, "beat_binary_connections_accepted_total 24"));

    // Back to back on one connection, each frame cut in three.
    std::string frames;
    for (int i = 0; i < 50; ++i)
        frames += frame_bytes(1'700'000'000'000'000 + i * 1'000'000ull, "collector.cpu", 0.5 * i);
    stream(s, {std::string_view(frames).substr(0, 100), std::string_view(frames).substr(100, 333),
               std::string_view(frames).substr(433)});
    const std::string points = tcp_request(s.tcp_port, "get collector.cpu\n");
    CHECK(points.starts_with("ok\ncollector.cpu 0.0 1700000000\ncollector.cpu 0.5 1700000001\n"));
    CHECK(points.ends_with("collector.cpu 24.5 1700000049\n\n"));

    s.proc->signal(SIGTERM);
    REQUIRE(s.proc->wait_exit() == 0);
    const auto stopped = s.proc->wait_for_line("stopped ");
    REQUIRE(stopped);
    CHECK(field(*stopped, "binary_frames") == "74");
    CHECK(field(*stopped, "binary_connections") == "25");
}

TEST_CASE("a malformed frame closes its connection, counted and logged, and no other",
          "[server][binary]") {
    Server s = start_server({"--binary", "127.0.0.1:0"});
    TcpConn steady(s.binary_port);
    steady.send(frame_bytes(1'000'000, "steady", 1));

    // Each malformed kind on a connection of its own: the frame before it is stored, the one
    // after it never read.
    const std::string after = frame_bytes(1'000'000, "after", 1);
    for (const std::string& bad :
         {std::string(17, '\0'), frame_bytes(1'000'000, "caf\xC3", 1),
          frame_bytes(1'000'000, "two words", 1),
          frame_bytes(1'000'000, "nan", std::numeric_limits<double>::quiet_NaN())}) {
        TcpConn c(s.binary_port);
        c.send(frame_bytes(1'000'000, "before", 1) + bad + after);
        CHECK(c.read_until_closed().empty());
    }
    const auto logged = s.proc->wait_for_line("malformed binary frame");
    REQUIRE(logged);
    CHECK(field(*logged, "reason") == "empty_name");
    CHECK(field(*logged, "frames_stored") == "1");

    steady.send(frame_bytes(2'000'000, "steady", 2));
    const std::string expected = "ok\nsteady 1.0 1\nsteady 2.0 2\n\n";
    std::string got;
    for (const auto deadline = Clock::now() + 5s; got != expected && Clock::now() < deadline;)
        got = tcp_request(s.tcp_port, "get steady\n");
    CHECK(got == expected);
    CHECK(tcp_request(s.tcp_port, "get before\n") == "ok\nbefore 1.0 1\n\n");
    CHECK(tcp_request(s.tcp_port, "get after\n") == "ok\n\n");
    CHECK(metrics_have(s, "beat_binary_connections_closed_total{reason=\"empty_name\"} 1"));
    CHECK(metrics_have(s, "beat_binary_connections_closed_total{reason=\"name_not_utf8\"} 1"));
    CHECK(metrics_have(s, "beat_binary_connections_closed_total{reason=\"bad_name\"} 1"));
    CHECK(metrics_have(s, "beat_binary_connections_closed_total{reason=\"non_finite_value\"} 1"));

    s.proc->signal(SIGTERM);
    REQUIRE(s.proc->wait_exit() == 0);
    const auto stopped = s.proc->wait_for_line("stopped ");
    REQUIRE(stopped);
    CHECK(field(*stopped, "binary_empty_name") == "1");
    CHECK(field(*stopped, "binary_non_finite_value") == "1");
    // Logged at most once a minute per address: four closes, one line.
    int lines = 0;
    for (const std::string& l : s.proc->lines())
        lines += l.find("malformed binary frame") != std::string::npos;
    CHECK(lines == 1);
}

TEST_CASE("under --durability sync a stream the server has closed is on disk: kill -9 loses none",
          "[server][binary][storage]") {
    auto dir = std::make_shared<TempDir>();
    std::string frames(kSeedFrame);
    for (int i = 0; i < 2000; ++i)
        frames += frame_bytes(1'700'000'000'000'000 + i * 1'000'000ull, "synced", i);
    {
        Server s = start_server(
            {"--binary", "127.0.0.1:0", "--data-dir", dir->path(), "--durability", "sync"});
        stream(s, {frames});
        s.proc->signal(SIGKILL);
        REQUIRE(s.proc->wait_exit() == 128 + SIGKILL);
    }
    Server again = start_server({"--data-dir", dir->path()});
    CHECK(tcp_request(again.tcp_port, "get metric\n") ==
          "ok\nmetric 50.123870849609375 1687165\n\n");
    const std::string synced = tcp_request(again.tcp_port, "get synced\n");
    CHECK(synced.starts_with("ok\nsynced 0.0 1700000000\n"));
    CHECK(synced.ends_with("synced 1999.0 1700001999\n\n"));
}

TEST_CASE("the binary port is off unless asked for", "[server][binary]") {
    Server s = start_server();
    CHECK(s.binary_port == 0);
    CHECK(metrics_have(s, "beat_binary_enabled 0"));
}
