// beat_server end to end: real datagrams and real TCP requests against the real binary.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/socket.h>

#include <fstream>
#include <thread>

#include "common/wire.hpp"
#include "tests/integration/harness.hpp"

using namespace beat;
using namespace beat::test;

namespace {

std::string beat_datagram(const std::string& host, std::uint64_t seq, std::uint32_t interval_ms,
                          std::vector<Metric> metrics = {}, std::uint64_t incarnation = 7,
                          std::int64_t send_time_ms = 1'700'000'000'000) {
    Heartbeat hb;
    hb.host = host;
    hb.incarnation = incarnation;
    hb.sequence = seq;
    hb.send_time_ms = send_time_ms;
    hb.interval_ms = interval_ms;
    hb.metrics = std::move(metrics);
    auto d = pack_beat(hb);
    REQUIRE(d.size() == 1);
    return d[0];
}

}  // namespace

TEST_CASE("a host that beats appears with its metrics queryable as host.metric", "[server]") {
    Server s = start_server();
    send_udp(s.udp_port, beat_datagram("alpha", 1, 1000, {{"cpu", 23.5}, {"mem.used_pct", 40}}));
    const auto line = s.proc->wait_for_line("host new host=alpha");
    REQUIRE(line);
    CHECK(field(*line, "address").rfind("127.0.0.1:", 0) == 0);
    CHECK(field(*line, "interval") == "1s");
    CHECK(tcp_request(s.tcp_port, "get alpha.cpu\n") == "ok\nalpha.cpu 23.5 1700000000\n\n");
    CHECK(tcp_request(s.tcp_port, "get alpha.mem.used_pct\n") ==
          "ok\nalpha.mem.used_pct 40.0 1700000000\n\n");
}

TEST_CASE("a host that stops beating is reported silent within timeout + 100 ms, and back",
          "[server][liveness]") {
    // The fixed detector, at interval 200 ms: the timeout is 3 x 200 = 600 ms.
    Server s = start_server({"--detector", "fixed"});
    for (std::uint64_t seq = 1; seq <= 3; ++seq) {
        send_udp(s.udp_port, beat_datagram("bravo", seq, 200));
    }
    REQUIRE(s.proc->wait_for_line("host new host=bravo"));
    // The server cannot have heard beat 4 before this moment.
    const auto before_last = Clock::now();
    send_udp(s.udp_port, beat_datagram("bravo", 4, 200));
    const auto silent = s.proc->wait_for_line_at("host silent host=bravo", 3s);
    REQUIRE(silent);
    // The server's own measure of how long the host had been silent when it reported it.
    const double silent_for = seconds_field(silent->first, "silent_for");
    CHECK(silent_for >= 0.6);
    CHECK(silent_for <= 0.7);
    CHECK(field(silent->first, "last_seq") == "4");
    CHECK(field(silent->first, "address").rfind("127.0.0.1:", 0) == 0);
    // Never reported before its deadline, as seen from outside (less the 1 ms by which the
    // loop's millisecond clock may trail the real time).
    CHECK(silent->second - before_last >= 599ms);

    // It comes back with a gap of 4 beats (5..8 missing).
    send_udp(s.udp_port, beat_datagram("bravo", 9, 200));
    const auto back = s.proc->wait_for_line("host back host=bravo");
    REQUIRE(back);
    CHECK(field(*back, "lost") == "4");
    CHECK(seconds_field(*back, "away_for") >= 0.6);
}

TEST_CASE("a fixed --timeout overrides the advertised interval", "[server][liveness]") {
    Server s = start_server({"--timeout", "0.3"});
    send_udp(s.udp_port, beat_datagram("charlie", 1, 60'000));
    const auto silent = s.proc->wait_for_line("host silent host=charlie", 3s);
    REQUIRE(silent);
    const double silent_for = seconds_field(*silent, "silent_for");
    CHECK(silent_for >= 0.3);
    CHECK(silent_for <= 0.4);
}

TEST_CASE("an agent restart is reported as a restart, not as loss", "[server]") {
    Server s = start_server();
    send_udp(s.udp_port, beat_datagram("delta", 100, 1000, {}, 1));
    REQUIRE(s.proc->wait_for_line("host new host=delta"));
    // The new run's clock is later than the old run's start.
    send_udp(s.udp_port, beat_datagram("delta", 1, 1000, {}, 2, 1'700'000'060'000));
    const auto line = s.proc->wait_for_line("host restarted host=delta");
    REQUIRE(line);
    CHECK(field(*line, "restarts") == "1");
}

TEST_CASE("the periodic report lists the silent hosts", "[server][liveness]") {
    Server s = start_server({"--report-interval", "0.2"});
    send_udp(s.udp_port, beat_datagram("echo", 1, 50));
    send_udp(s.udp_port, beat_datagram("foxtrot", 1, 50));
    REQUIRE(s.proc->wait_for_line("host silent host=foxtrot", 3s));
    const auto report = s.proc->wait_for_line("silent hosts: 2", 3s);
    REQUIRE(report);
    CHECK(report->find("echo (") != std::string::npos);
    CHECK(report->find("foxtrot (") != std::string::npos);
}

TEST_CASE("hosts silent longer than --forget-after are dropped with a log line", "[server]") {
    Server s = start_server({"--report-interval", "0.2", "--forget-after", "1"});
    send_udp(s.udp_port, beat_datagram("golf", 1, 50));
    REQUIRE(s.proc->wait_for_line("host silent host=golf", 3s));
    REQUIRE(s.proc->wait_for_line("host forgotten host=golf", 5s));
    // A forgotten host that returns is new again.
    send_udp(s.udp_port, beat_datagram("golf", 2, 50));
    REQUIRE(s.proc->wait_for_line("host new host=golf", 3s));
}

TEST_CASE("invalid datagrams are counted by reason and logged once per source per minute",
          "[server]") {
    Server s = start_server();
    std::string good = beat_datagram("hotel", 1, 1000);
    std::string bad_magic = good;
    bad_magic[0] = 'X';
    send_udp(s.udp_port, bad_magic);
    send_udp(s.udp_port, bad_magic);
    send_udp(s.udp_port, good.substr(0, 20));
    send_udp(s.udp_port, good);
    REQUIRE(s.proc->wait_for_line("host new host=hotel"));
    s.proc->signal(SIGTERM);
    REQUIRE(s.proc->wait_exit() == 0);
    int invalid_lines = 0;
    std::string stopped;
    for (const auto& l : s.proc->lines()) {
        if (l.find("invalid datagram") != std::string::npos) {
            ++invalid_lines;
            CHECK(field(l, "reason") == "bad_magic");
        }
        if (l.find("INFO stopped ") != std::string::npos) stopped = l;
    }
    CHECK(invalid_lines == 1);
    CHECK(field(stopped, "datagrams") == "4");
    CHECK(field(stopped, "accepted") == "1");
    CHECK(field(stopped, "rejected") == "3");
    CHECK(field(stopped, "bad_magic") == "2");
    CHECK(field(stopped, "truncated") == "1");
}

TEST_CASE("put and get follow the protocol byte for byte", "[server][protocol]") {
    Server s = start_server();
    TcpConn c(s.tcp_port);
    c.send("put k 10 100\n");
    CHECK(c.read_replies(1) == "ok\n\n");
    c.send("put k 1e3 99\nput k 0.25 101\nput k -1.5 98\n");
    CHECK(c.read_replies(3) == "ok\n\nok\n\nok\n\n");
    // Sorted by timestamp; values in repr form.
    c.send("get k\n");
    CHECK(c.read_replies(1) == "ok\nk -1.5 98\nk 1000.0 99\nk 10.0 100\nk 0.25 101\n\n");
    // A second put for the same second replaces the value.
    c.send("put k 11 100\nget k\n");
    CHECK(c.read_replies(2) == "ok\n\nok\nk -1.5 98\nk 1000.0 99\nk 11.0 100\nk 0.25 101\n\n");
    c.send("put big 1e16 1\nget big\n");
    CHECK(c.read_replies(2) == "ok\n\nok\nbig 1e+16 1\n\n");
    c.send("get missing\n");
    CHECK(c.read_replies(1) == "ok\n\n");
}

TEST_CASE("get * returns every key in first-insertion order", "[server][protocol]") {
    Server s = start_server();
    TcpConn c(s.tcp_port);
    c.send("put zeta 1 5\nput alpha 2 5\nput zeta 3 4\nput mid 4 1\nget *\n");
    CHECK(c.read_replies(5) ==
          "ok\n\nok\n\nok\n\nok\n\nok\nzeta 3.0 4\nzeta 1.0 5\nalpha 2.0 5\nmid 4.0 1\n\n");
}

TEST_CASE("malformed requests get the error reply and the connection stays usable",
          "[server][protocol]") {
    Server s = start_server();
    TcpConn c(s.tcp_port);
    const char* bad[] = {"\n",
                         "nonsense\n",
                         "put k 1\n",
                         "put k 1 2 3\n",
                         "put k nan 1\n",
                         "put k inf 1\n",
                         "put k 1 1.5\n",
                         "put k 1 abc\n",
                         "put k abc 1\n",
                         "get\n",
                         "get a b\n",
                         "GET k\n",
                         "put  k 1 2\n",
                         "put k 1 2 \t\n",
                         "put * 1 2\n",
                         "put k\t1 2\n"};
    for (const char* req : bad) {
        INFO("request: " << req);
        c.send(req);
        CHECK(c.read_replies(1) == "error\nwrong command\n\n");
    }
    c.send("put k 1 2\nget k\n");
    CHECK(c.read_replies(2) == "ok\n\nok\nk 1.0 2\n\n");
    // As typed at telnet: "\r\n", and a space before it.
    c.send("put k 3 4 \r\nget k \r\n");
    CHECK(c.read_replies(2) == "ok\n\nok\nk 1.0 2\nk 3.0 4\n\n");
}

TEST_CASE("pipelined requests in one packet are answered in order", "[server][protocol]") {
    Server s = start_server();
    TcpConn c(s.tcp_port);
    std::string batch;
    for (int i = 0; i < 500; ++i)
        batch += "put p " + std::to_string(i) + " " + std::to_string(i) + "\n";
    batch += "get p\nbogus\nget p\n";
    c.send(batch);
    const std::string replies = c.read_replies(503);
    std::string expected;
    for (int i = 0; i < 500; ++i)
        expected += "ok\n\n";
    std::string points = "ok\n";
    for (int i = 0; i < 500; ++i)
        points += "p " + std::to_string(i) + ".0 " + std::to_string(i) + "\n";
    points += "\n";
    expected += points + "error\nwrong command\n\n" + points;
    CHECK(replies == expected);
}

TEST_CASE("a request split across packets is reassembled", "[server][protocol]") {
    Server s = start_server();
    TcpConn c(s.tcp_port);
    const std::string req = "put split 2.5 42\nget split\n";
    for (char ch : req) {
        c.send(std::string(1, ch));
        // Make it likely that every byte travels alone (the test holds either way).
        std::this_thread::yield();
    }
    CHECK(c.read_replies(2) == "ok\n\nok\nsplit 2.5 42\n\n");
}

TEST_CASE("a request line over 64 KiB gets an error and the connection is closed",
          "[server][protocol]") {
    Server s = start_server();
    TcpConn c(s.tcp_port);
    c.send("put ok 1 1\n");
    c.send("get " + std::string(70 * 1024, 'x') + "\n");
    CHECK(c.read_until_closed() == "ok\n\nerror\nline too long\n\n");
    // Others are still served.
    CHECK(tcp_request(s.tcp_port, "get ok\n") == "ok\nok 1.0 1\n\n");
}

TEST_CASE("a client that does not read its replies is paused instead of growing memory",
          "[server][protocol]") {
    Server s = start_server();
    TcpConn writer(s.tcp_port);
    // About 300 KiB per "get *" reply.
    std::string fill;
    for (int i = 0; i < 10'000; ++i)
        fill += "put some.fairly.long.key" + std::to_string(i % 50) + " 1.5 " + std::to_string(i) +
                "\n";
    writer.send(fill);
    writer.read_replies(10'000);
    const std::size_t before = vm_rss_kib(s.proc->pid());

    // A second client asks for "get *" 5,000 times and never reads: ~1.5 GB of replies if queued.
    TcpConn hog(s.tcp_port);
    int buf = 64 * 1024;
    setsockopt(hog.fd(), SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    std::string many;
    for (int i = 0; i < 5000; ++i)
        many += "get *\n";
    // The server stops reading from the hog, so sending may block once buffers fill: send what
    // fits without blocking.
    send_what_fits(hog.fd(), many);
    // The server keeps answering others meanwhile, and its memory stays bounded.
    for (int i = 0; i < 20; ++i) {
        CHECK(tcp_request(s.tcp_port, "get some.fairly.long.key1\n").rfind("ok\n", 0) == 0);
    }
    const std::size_t after = vm_rss_kib(s.proc->pid());
    INFO("RSS before " << before << " KiB, after " << after << " KiB");
    CHECK(after < before + 64 * 1024);
}

TEST_CASE("connections beyond --max-connections are closed, newest first", "[server][protocol]") {
    Server s = start_server({"--max-connections", "2"});
    TcpConn a(s.tcp_port), b(s.tcp_port);
    a.send("get *\n");
    a.read_replies(1);
    b.send("get *\n");
    b.read_replies(1);
    TcpConn c(s.tcp_port);
    CHECK(c.read_until_closed().empty());
    REQUIRE(s.proc->wait_for_line("tcp connection limit reached"));
    a.send("get *\n");
    CHECK(a.read_replies(1) == "ok\n\n");
}

TEST_CASE("SIGTERM stops the server cleanly with exit code 0", "[server]") {
    Server s = start_server();
    send_udp(s.udp_port, beat_datagram("india", 1, 1000));
    REQUIRE(s.proc->wait_for_line("host new host=india"));
    TcpConn idle(s.tcp_port);  // An idle client must not hold the shutdown up.
    idle.send("put x 1 1\n");
    idle.read_replies(1);
    s.proc->signal(SIGTERM);
    CHECK(s.proc->wait_exit(5s) == 0);
    bool stopped = false;
    for (const auto& l : s.proc->lines())
        stopped |= l.find("INFO stopped ") != std::string::npos;
    CHECK(stopped);
}

TEST_CASE("bad usage exits 2 and a port in use exits 1 with a clear message", "[server]") {
    {
        Process p({server_bin(), "--timeout", "soon"});
        CHECK(p.wait_exit() == 2);
    }
    {
        Process p({server_bin(), "--no-such-flag"});
        CHECK(p.wait_exit() == 2);
    }
    {
        Process p({server_bin(), "--help"});
        CHECK(p.wait_exit() == 0);
        CHECK(p.stdout_text().find("--report-interval") != std::string::npos);
    }
    Server s = start_server();
    Process p({server_bin(), "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--tcp",
               "127.0.0.1:" + std::to_string(s.tcp_port), "--durability", "off"});
    CHECK(p.wait_exit() == 1);
    bool clear = false;
    for (const auto& l : p.lines())
        clear |= l.find("address already in use") != std::string::npos;
    CHECK(clear);
}

TEST_CASE("a server whose HTTP port is taken exits 1, says why and leaves no handle open",
          "[server]") {
    // By then the storage, the UDP listener and the TCP side-port are open: all must be closed.
    const TakenPort taken(SOCK_STREAM);
    TempDir dir;
    Process p({server_bin(), "--udp", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--http",
               loopback_endpoint(taken.port()), "--data-dir", dir.path()});
    CHECK(p.wait_exit() == 1);
    bool why = false, open_handles = false;
    for (const auto& l : p.lines()) {
        why |= l.find("cannot listen on HTTP " + loopback_endpoint(taken.port()) +
                      ": address already in use") != std::string::npos;
        open_handles |= l.find("event loop still had open handles") != std::string::npos;
    }
    CHECK(why);
    CHECK_FALSE(open_handles);
}
