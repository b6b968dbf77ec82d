// beat_server's storage end to end: restarts, crashes (kill -9 under load), restart grace,
// retention and caps, and shutdown, with the real binary and a real database. The examples of the
// put/get protocol's description (timestamps of 2006 and 2017, far older than the default
// retention of 7 days) are answered byte for byte, and kept across restarts.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "common/wire.hpp"
#include "tests/integration/harness.hpp"

using namespace beat;
using namespace beat::test;

namespace {

std::int64_t unix_now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string beat_datagram(const std::string& host, std::uint64_t seq, std::uint32_t interval_ms,
                          std::vector<Metric> metrics = {}) {
    Heartbeat hb;
    hb.host = host;
    hb.incarnation = 7;
    hb.sequence = seq;
    hb.send_time_ms = unix_now_s() * 1000;
    hb.interval_ms = interval_ms;
    hb.metrics = std::move(metrics);
    return pack_beat(hb).at(0);
}

Server start_in(const TempDir& dir, std::vector<std::string> extra = {}) {
    extra.insert(extra.end(), {"--data-dir", dir.path()});
    return start_server(extra);
}

void stop(Server& s) {
    s.proc->signal(SIGTERM);
    REQUIRE(s.proc->wait_exit(5s) == 0);
}

// Every (key, timestamp) in the reply to `get key` ("*" for all).
std::set<std::pair<std::string, std::int64_t>> stored(std::uint16_t port,
                                                      const std::string& key = "*") {
    const std::string all = tcp_request(port, "get " + key + "\n");
    std::set<std::pair<std::string, std::int64_t>> out;
    std::istringstream in(all);
    std::string line;
    std::getline(in, line);  // "ok"
    while (std::getline(in, line) && !line.empty()) {
        std::istringstream f(line);
        std::string key, value;
        std::int64_t ts = 0;
        f >> key >> value >> ts;
        out.emplace(key, ts);
    }
    return out;
}

// Polls `get key` until its reply equals `want` or `timeout` passes; returns the last reply.
std::string poll_get(std::uint16_t port, const std::string& key, const std::string& want,
                     std::chrono::milliseconds timeout = 5s) {
    const auto deadline = Clock::now() + timeout;
    std::string got;
    do {
        got = tcp_request(port, "get " + key + "\n");
        if (got == want) break;
        std::this_thread::sleep_for(20ms);  // A poll interval, bounded by the deadline.
    } while (Clock::now() < deadline);
    return got;
}

using Exchange = std::vector<std::pair<std::string, std::string>>;

// Sends each request of `exchange` on one connection and checks its reply, byte for byte.
void check(std::uint16_t port, const Exchange& exchange) {
    TcpConn c(port);
    for (const auto& [request, reply] : exchange) {
        INFO(request);
        c.send(request);
        CHECK(c.read_replies(1) == reply);
    }
}

// Checks `gets` over 1.5 s: the retention sweep runs every second, so at least one sweep passes
// over the points meanwhile.
void check_kept(std::uint16_t port, const Exchange& gets) {
    const auto until = Clock::now() + 1500ms;
    do {
        check(port, gets);
        std::this_thread::sleep_for(100ms);  // A poll interval, bounded by `until`.
    } while (Clock::now() < until);
}

// Under the default settings (the retention of 7 days among them), runs
// `puts`, checks `gets` while the server runs and again after a restart on the same data
// directory: once stopped by SIGTERM, once killed with SIGKILL in sync mode.
void check_across_restarts(const Exchange& puts, const Exchange& gets) {
    for (const bool killed : {false, true}) {
        INFO((killed ? "kill -9 in sync mode" : "SIGTERM"));
        TempDir dir;
        const std::vector<std::string> args = {"--durability", killed ? "sync" : "batch"};
        {
            Server s = start_in(dir, args);
            check(s.tcp_port, puts);
            check_kept(s.tcp_port, gets);
            if (killed) {
                s.proc->signal(SIGKILL);
                REQUIRE(s.proc->wait_exit(5s) == 128 + SIGKILL);
            } else {
                stop(s);
            }
        }
        Server s = start_in(dir, args);
        check_kept(s.tcp_port, gets);
    }
}

// A pipelined put load on one connection: keeps `depth` puts in flight, and records when each
// reply (in request order) came back. Put i stores "<prefix>.k<i % 4> <i> <base + i>".
struct PutLoad {
    std::string prefix;
    std::int64_t base;
    std::vector<Clock::time_point> acked;  // acked[i]: when put i was answered "ok".

    std::string key(std::size_t i) const { return prefix + ".k" + std::to_string(i % 4); }
    std::string request(std::size_t i) const {
        return "put " + key(i) + " " + std::to_string(i) + " " +
               std::to_string(base + static_cast<std::int64_t>(i)) + "\n";
    }

    // Runs until `until`, then calls `kill` and reads the replies that were already sent.
    template <typename Kill>
    void run(std::uint16_t port, Clock::time_point until, Kill&& kill, std::size_t depth = 64) {
        TcpConn c(port);
        ::fcntl(c.fd(), F_SETFL, ::fcntl(c.fd(), F_GETFL) | O_NONBLOCK);
        std::size_t sent = 0;
        std::string out, in;
        bool killed = false;
        const auto give_up = until + 5s;
        while (Clock::now() < give_up) {
            if (!killed && Clock::now() >= until) {
                kill();
                killed = true;
            }
            while (!killed && sent - acked.size() < depth)
                out += request(sent++);
            if (!out.empty()) {
                const ssize_t n = ::send(c.fd(), out.data(), out.size(), MSG_NOSIGNAL);
                if (n > 0) out.erase(0, static_cast<std::size_t>(n));
            }
            pollfd p{c.fd(), POLLIN, 0};
            ::poll(&p, 1, 5);
            char buf[65536];
            const ssize_t got = ::recv(c.fd(), buf, sizeof buf, 0);
            if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
                if (killed) break;
                continue;
            }
            if (got > 0) in.append(buf, static_cast<std::size_t>(got));
            std::size_t pos;
            while ((pos = in.find("\n\n")) != std::string::npos) {
                REQUIRE(in.compare(0, 3, "ok\n") == 0);
                in.erase(0, pos + 2);
                acked.push_back(Clock::now());
            }
        }
    }
};

// Kills the server with SIGKILL at a random moment under a put load, restarts it, and returns
// (lost acknowledged puts, of which acknowledged more than `window` before the kill).
std::pair<std::size_t, std::size_t> crash_round(const TempDir& dir, const std::string& durability,
                                                int round, std::mt19937& rng,
                                                std::chrono::milliseconds window) {
    // Few keys, so --max-points-per-key must not be what drops points.
    const std::vector<std::string> args = {"--durability", durability, "--max-points-per-key",
                                           "100000000"};
    Server s = start_in(dir, args);
    PutLoad load{"crash" + std::to_string(round), unix_now_s() - 10'000'000, {}};
    const auto run_for =
        std::chrono::milliseconds(std::uniform_int_distribution<int>(300, 1500)(rng));
    Clock::time_point killed_at;
    load.run(s.tcp_port, Clock::now() + run_for, [&] {
        killed_at = Clock::now();
        s.proc->signal(SIGKILL);
    });
    REQUIRE(s.proc->wait_exit(5s) == 128 + SIGKILL);
    REQUIRE(load.acked.size() > 100);

    Server again = start_in(dir, args);
    std::set<std::pair<std::string, std::int64_t>> have;
    for (std::size_t k = 0; k < 4; ++k)
        have.merge(stored(again.tcp_port, load.key(k)));
    std::size_t lost = 0, lost_old = 0;
    for (std::size_t i = 0; i < load.acked.size(); ++i) {
        if (have.count({load.key(i), load.base + static_cast<std::int64_t>(i)}) == 0) {
            ++lost;
            if (load.acked[i] < killed_at - window) ++lost_old;
        }
    }
    std::fprintf(stderr, "crash %s: acked=%zu lost=%zu lost_older_than_window=%zu\n",
                 durability.c_str(), load.acked.size(), lost, lost_old);
    stop(again);
    return {lost, lost_old};
}

}  // namespace

TEST_CASE("a restart keeps the puts and the heartbeat metrics", "[storage]") {
    TempDir dir;
    const std::int64_t now = unix_now_s();
    {
        Server s = start_in(dir);
        TcpConn c(s.tcp_port);
        c.send("put app.x 1.5 " + std::to_string(now - 10) + "\nput app.x 2 " +
               std::to_string(now) + "\nput app.y -1 " + std::to_string(now) + "\n");
        CHECK(c.read_replies(3) == "ok\n\nok\n\nok\n\n");
        send_udp(s.udp_port, beat_datagram("alpha", 1, 1000, {{"cpu", 23.5}}));
        REQUIRE(s.proc->wait_for_line("host new host=alpha"));
        stop(s);
    }
    Server s = start_in(dir);
    CHECK(tcp_request(s.tcp_port, "get app.x\n") == "ok\napp.x 1.5 " + std::to_string(now - 10) +
                                                        "\napp.x 2.0 " + std::to_string(now) +
                                                        "\n\n");
    CHECK(tcp_request(s.tcp_port, "get app.y\n") ==
          "ok\napp.y -1.0 " + std::to_string(now) + "\n\n");
    const std::string cpu = tcp_request(s.tcp_port, "get alpha.cpu\n");
    CHECK(cpu.rfind("ok\nalpha.cpu 23.5 ", 0) == 0);
    // Keys keep their first-insertion order across the restart.
    const std::string all = tcp_request(s.tcp_port, "get *\n");
    CHECK(all.find("app.x") < all.find("app.y"));
    CHECK(all.find("app.y") < all.find("alpha.cpu"));
}

TEST_CASE("sync durability answers puts in order once committed, and they survive a restart",
          "[storage]") {
    TempDir dir;
    const std::int64_t now = unix_now_s();
    {
        Server s = start_in(dir, {"--durability", "sync"});
        TcpConn c(s.tcp_port);
        c.send("get none\nput s.a 1 " + std::to_string(now) + "\nget s.a\nput s.a 2 " +
               std::to_string(now + 1) + "\nbogus\n");
        CHECK(c.read_replies(5) == "ok\n\nok\n\nok\ns.a 1.0 " + std::to_string(now) +
                                       "\n\nok\n\nerror\nwrong command\n\n");
        s.proc->signal(SIGKILL);
        REQUIRE(s.proc->wait_exit() == 128 + SIGKILL);
    }
    Server s = start_in(dir, {"--durability", "sync"});
    CHECK(tcp_request(s.tcp_port, "get s.a\n") ==
          "ok\ns.a 1.0 " + std::to_string(now) + "\ns.a 2.0 " + std::to_string(now + 1) + "\n\n");
}

TEST_CASE("the protocol's walk-through is answered byte for byte and kept across restarts",
          "[storage][protocol]") {
    // The data the walk-through's replies are given for; its get palm.cpu reply, which prints 2.0
    // at 1150864248 beside 0.5 at the same second, is read as its get * reply shows it.
    check_across_restarts(
        {
            {"put palm.cpu 23.7 1150864247\n", "ok\n\n"},
            {"put palm.cpu 2.0 1150864247\n", "ok\n\n"},
            {"put palm.cpu 0.5 1150864248\n", "ok\n\n"},
            {"put eardrum.cpu 3.0 1150864250\n", "ok\n\n"},
            {"put palm.cpu 23.7 x\n", "error\nwrong command\n\n"},
        },
        {
            {"get palm.cpu\n", "ok\npalm.cpu 2.0 1150864247\npalm.cpu 0.5 1150864248\n\n"},
            {"get *\n",
             "ok\npalm.cpu 2.0 1150864247\npalm.cpu 0.5 1150864248\n"
             "eardrum.cpu 3.0 1150864250\n\n"},
            {"get eardrum.memory\n", "ok\n\n"},
        });
}

TEST_CASE("the protocol's Client example is answered byte for byte and kept across restarts",
          "[storage][protocol]") {
    // What the example's Client sends: a put without a timestamp is stamped int(time.time()).
    const std::string now = std::to_string(unix_now_s());
    check_across_restarts(
        {
            {"put palm.cpu 0.5 1150864247\n", "ok\n\n"},
            {"put palm.cpu 2.0 1150864248\n", "ok\n\n"},
            {"put palm.cpu 0.5 1150864248\n", "ok\n\n"},
            {"put eardrum.cpu 3 1150864250\n", "ok\n\n"},
            {"put eardrum.cpu 4 1150864251\n", "ok\n\n"},
            {"put eardrum.memory 4200000 " + now + "\n", "ok\n\n"},
        },
        // Its get("*") and get("palm.cpu") dictionaries, as the server writes them.
        {
            {"get *\n",
             "ok\npalm.cpu 0.5 1150864247\npalm.cpu 0.5 1150864248\n"
             "eardrum.cpu 3.0 1150864250\neardrum.cpu 4.0 1150864251\n"
             "eardrum.memory 4200000.0 " +
                 now + "\n\n"},
            {"get palm.cpu\n", "ok\npalm.cpu 0.5 1150864247\npalm.cpu 0.5 1150864248\n\n"},
        });
}

TEST_CASE("the timestamps 1, 2 and 3 of the protocol's client test suites are kept across restarts",
          "[storage][protocol]") {
    check_across_restarts({{"put test 0.5 1\n", "ok\n\n"},
                           {"put test 2.0 2\n", "ok\n\n"},
                           {"put test 0.5 3\n", "ok\n\n"}},
                          {{"get test\n", "ok\ntest 0.5 1\ntest 2.0 2\ntest 0.5 3\n\n"}});
}

TEST_CASE("kill -9 under a pipelined put load: sync loses no acknowledged put", "[storage]") {
    TempDir dir;
    std::mt19937 rng(std::random_device{}());
    for (int round = 0; round < 3; ++round) {
        const auto [lost, lost_old] = crash_round(dir, "sync", round, rng, 0ms);
        CHECK(lost == 0);
    }
}

TEST_CASE("kill -9 under a pipelined put load: batch loses at most the last second", "[storage]") {
    TempDir dir;
    std::mt19937 rng(std::random_device{}());
    for (int round = 0; round < 3; ++round) {
        // One second, plus scheduling slack on a loaded machine.
        const auto [lost, lost_old] = crash_round(dir, "batch", round, rng, 1250ms);
        CHECK(lost_old == 0);
    }
}

TEST_CASE("kill -9 while the store compacts segments into chunks loses no acknowledged put",
          "[storage]") {
    // A million points waiting make a compaction due: the fill passes it, and the kill comes while
    // the put load goes on, during or between compaction steps.
    constexpr std::size_t kFill = 1'100'000;
    constexpr std::size_t kRound = 10'000;
    TempDir dir;
    std::mt19937 rng(std::random_device{}());
    const std::vector<std::string> args = {"--max-points-per-key", "100000000"};
    Server s = start_in(dir, args);
    PutLoad fill{"filled", unix_now_s() - 10'000'000, {}};
    {
        TcpConn c(s.tcp_port);
        for (std::size_t i = 0; i < kFill;) {
            std::string round;
            for (const std::size_t end = i + kRound; i < end; ++i)
                round += fill.request(i);
            c.send(round);
            c.read_replies(kRound, 30s);
        }
    }
    REQUIRE(s.proc->wait_for_line("storage: compacted ", 30s));
    PutLoad load{"during", unix_now_s() - 10'000'000, {}};
    Clock::time_point killed_at;
    const auto run_for = std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 800)(rng));
    load.run(s.tcp_port, Clock::now() + run_for, [&] {
        killed_at = Clock::now();
        s.proc->signal(SIGKILL);
    });
    REQUIRE(s.proc->wait_exit(5s) == 128 + SIGKILL);

    Server again = start_in(dir, args);
    std::set<std::pair<std::string, std::int64_t>> have;
    for (std::size_t k = 0; k < 4; ++k)
        have.merge(stored(again.tcp_port, load.key(k)));
    std::size_t lost = 0, lost_old = 0;
    for (std::size_t i = 0; i < load.acked.size(); ++i) {
        if (have.count({load.key(i), load.base + static_cast<std::int64_t>(i)}) == 0) {
            ++lost;
            if (load.acked[i] < killed_at - 1250ms) ++lost_old;
        }
    }
    std::fprintf(stderr, "compaction crash: acked=%zu lost=%zu lost_older_than_window=%zu\n",
                 load.acked.size(), lost, lost_old);
    CHECK(lost_old == 0);
    // Every filled point is back: the points loaded are those and the load's.
    std::size_t loaded = 0;
    for (const auto& l : again.proc->lines()) {
        if (const auto at = l.find("storage: loaded "); at != std::string::npos)
            loaded = std::stoull(l.substr(at + 16));
    }
    CHECK(loaded == kFill + have.size());
    CHECK(stored(again.tcp_port, fill.key(0)).size() == kFill / 4);
    stop(again);
}

TEST_CASE("after a restart, beating hosts get a grace and a host gone meanwhile is reported",
          "[storage][liveness]") {
    TempDir dir;
    {
        Server s = start_in(dir);
        send_udp(s.udp_port, beat_datagram("steady", 1, 300));
        send_udp(s.udp_port, beat_datagram("gone", 1, 300));
        REQUIRE(s.proc->wait_for_line("host new host=gone"));
        stop(s);
    }
    const auto restart = Clock::now();
    Server s = start_in(dir);
    bool loaded_both = false;
    for (const auto& l : s.proc->lines())
        loaded_both |= l.find("storage: loaded") != std::string::npos &&
                       l.find("and 2 hosts") != std::string::npos;
    CHECK(loaded_both);
    // "steady" keeps beating every 100 ms; "gone" never beats again. Timeout: 900 ms.
    std::uint64_t seq = 2;
    std::optional<std::pair<std::string, Clock::time_point>> silent;
    while (Clock::now() - restart < 2500ms) {
        send_udp(s.udp_port, beat_datagram("steady", seq++, 300));
        if (!silent)
            silent = s.proc->wait_for_line_at("host silent host=gone", 100ms);
        else
            std::this_thread::sleep_for(100ms);  // The beat interval of "steady".
    }
    REQUIRE(silent);
    CHECK(silent->second - restart >= 900ms);
    CHECK(field(silent->first, "last_seq") == "1");
    for (const auto& l : s.proc->lines()) {
        CHECK(l.find("host silent host=steady") == std::string::npos);
        CHECK(l.find("host new host=steady") == std::string::npos);
    }
}

TEST_CASE("a corrupt database or an unusable data directory exits 1 with a clear message",
          "[storage]") {
    TempDir dir;
    {
        std::ofstream f(dir.path() + "/beat.db");
        f << "this is not an SQLite database, just text that is long enough to be read as one";
    }
    {
        Process p({server_bin(), "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--tcp",
                   "127.0.0.1:0", "--data-dir", dir.path()});
        CHECK(p.wait_exit() == 1);
        bool clear = false;
        for (const auto& l : p.lines())
            clear |= l.find("corrupt or not a beat database") != std::string::npos;
        CHECK(clear);
    }
    {
        Process p({server_bin(), "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--tcp",
                   "127.0.0.1:0", "--data-dir", dir.path() + "/beat.db/sub"});
        CHECK(p.wait_exit() == 1);
        bool clear = false;
        for (const auto& l : p.lines())
            clear |= l.find("cannot create data directory") != std::string::npos;
        CHECK(clear);
    }
    {
        // A second server on the same directory.
        TempDir shared;
        Server first = start_in(shared);
        Process p({server_bin(), "--http", "127.0.0.1:0", "--udp", "127.0.0.1:0", "--tcp",
                   "127.0.0.1:0", "--data-dir", shared.path()});
        CHECK(p.wait_exit() == 1);
        bool clear = false;
        for (const auto& l : p.lines())
            clear |= l.find("another process is using it") != std::string::npos;
        CHECK(clear);
    }
}

TEST_CASE(
    "points go --retention after they were put, whatever their timestamp, in memory and on "
    "disk",
    "[storage]") {
    TempDir dir;
    const std::int64_t now = unix_now_s();
    const std::string old = std::to_string(now - 7200), fresh = std::to_string(now),
                      future = "253402300799";
    {
        Server s = start_in(dir, {"--retention", "2s"});
        TcpConn c(s.tcp_port);
        c.send("put r.old 1 " + old + "\nput r.fresh 2 " + fresh + "\nput r.future 3 " + future +
               "\nget *\n");
        CHECK(c.read_replies(4) == "ok\n\nok\n\nok\n\nok\nr.old 1.0 " + old + "\nr.fresh 2.0 " +
                                       fresh + "\nr.future 3.0 " + future + "\n\n");
        CHECK(poll_get(s.tcp_port, "*", "ok\n\n", 6s) == "ok\n\n");
        stop(s);
    }
    // With no retention the disk would still hold them: it does not.
    Server s = start_in(dir, {"--retention", "36500d"});
    CHECK(stored(s.tcp_port).empty());
}

TEST_CASE("the points per key are capped to the newest and new keys beyond the limit refused",
          "[storage]") {
    Server s = start_server({"--max-points-per-key", "2", "--max-keys", "2"});
    TcpConn c(s.tcp_port);
    const std::int64_t now = unix_now_s();
    std::string puts;
    for (int i = 0; i < 5; ++i)
        puts += "put m.a " + std::to_string(i) + " " + std::to_string(now + i) + "\n";
    c.send(puts + "put m.b 1 " + std::to_string(now) + "\nput m.c 1 " + std::to_string(now) + "\n");
    CHECK(c.read_replies(7) ==
          "ok\n\nok\n\nok\n\nok\n\nok\n\nok\n\n"
          "error\nkey limit reached: max-keys=2\n\n");
    const std::string want =
        "ok\nm.a 3.0 " + std::to_string(now + 3) + "\nm.a 4.0 " + std::to_string(now + 4) + "\n\n";
    CHECK(poll_get(s.tcp_port, "m.a", want) == want);
    REQUIRE(s.proc->wait_for_line("key limit reached: max_keys=2", 3s));
    stop(s);
}

TEST_CASE("SIGTERM with a client that never reads exits 0 within 5 s, keeping what was put",
          "[storage]") {
    TempDir dir;
    const std::int64_t now = unix_now_s();
    Server s = start_in(dir);
    TcpConn quiet(s.tcp_port);
    std::string puts;
    for (int i = 0; i < 1000; ++i)
        puts += "put q.k " + std::to_string(i) + " " + std::to_string(now - 1000 + i) + "\n";
    quiet.send(puts);
    // Then fill its socket: many "get *" whose replies it never reads.
    std::string gets;
    for (int i = 0; i < 2000; ++i)
        gets += "get q.k\n";
    const int flags = ::fcntl(quiet.fd(), F_GETFL);
    ::fcntl(quiet.fd(), F_SETFL, flags | O_NONBLOCK);
    ::send(quiet.fd(), gets.data(), gets.size(), MSG_NOSIGNAL);
    // The puts were read and executed once the server has paused this client.
    const auto deadline = Clock::now() + 5s;
    while (Clock::now() < deadline && stored(s.tcp_port).size() < 1000)
        std::this_thread::sleep_for(20ms);
    const auto stop_at = Clock::now();
    s.proc->signal(SIGTERM);
    CHECK(s.proc->wait_exit(6s) == 0);
    CHECK(Clock::now() - stop_at < 5s);
    Server again = start_in(dir);
    CHECK(stored(again.tcp_port).size() == 1000);
}

TEST_CASE("a full disk is logged, counted and retried while the server keeps serving",
          "[storage]") {
    TempDir dir;
    // The server inherits a 512 KiB file size limit (and ignores the signal that exceeding it
    // raises): its writes fail as on a full disk once the database grows past it.
    rlimit before{};
    ::getrlimit(RLIMIT_FSIZE, &before);
    rlimit small = before;
    small.rlim_cur = 512 * 1024;
    auto* old_handler = ::signal(SIGXFSZ, SIG_IGN);
    ::setrlimit(RLIMIT_FSIZE, &small);
    std::optional<Server> started;
    try {
        started.emplace(start_in(dir));
    } catch (...) {
        ::setrlimit(RLIMIT_FSIZE, &before);
        ::signal(SIGXFSZ, old_handler);
        throw;
    }
    ::setrlimit(RLIMIT_FSIZE, &before);
    ::signal(SIGXFSZ, old_handler);
    Server& s = *started;

    const std::int64_t now = unix_now_s();
    TcpConn c(s.tcp_port);
    for (int chunk = 0; chunk < 8; ++chunk) {
        std::string puts;
        for (int i = 0; i < 5000; ++i) {
            puts += "put full.k" + std::to_string(i % 10) + " 1 " +
                    std::to_string(now - 100'000 + chunk * 5000 + i) + "\n";
        }
        c.send(puts);
        const std::string replies = c.read_replies(5000);
        CHECK(replies.find("error") == std::string::npos);
    }
    const auto failed = s.proc->wait_for_line("storage: batch", 5s);
    REQUIRE(failed);
    CHECK(failed->find("failed") != std::string::npos);
    // Still serving from memory.
    CHECK(stored(s.tcp_port, "full.k0").size() == 4000);
    const auto stop_at = Clock::now();
    s.proc->signal(SIGTERM);
    CHECK(s.proc->wait_exit(6s) == 0);
    CHECK(Clock::now() - stop_at < 5s);
    std::string stopped;
    for (const auto& l : s.proc->lines())
        if (l.find("INFO stopped ") != std::string::npos) stopped = l;
    CHECK(field(stopped, "storage_failures") != "0");
    CHECK(!field(stopped, "storage_failures").empty());
}
