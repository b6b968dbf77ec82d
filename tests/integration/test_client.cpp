// beat::Client and the beat_client put/get commands against the real beat_server.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <limits>
#include <string>
#include <vector>

#include "common/client.hpp"
#include "tests/client_error.hpp"
#include "tests/integration/harness.hpp"

using namespace beat;
using namespace beat::test;
using Catch::Matchers::Contains;

namespace {

Client connect(const Server& s, std::chrono::milliseconds timeout = 5s) {
    return Client("127.0.0.1", s.tcp_port, timeout);
}

struct CliResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs "beat_client <args...>" to completion.
CliResult run_cli(std::vector<std::string> args) {
    args.insert(args.begin(), client_bin());
    Process p(args);
    const auto code = p.wait_exit(10s);
    REQUIRE(code);
    CliResult r;
    r.exit_code = *code;
    r.out = p.stdout_text();
    for (const std::string& line : p.lines())
        r.err += line + "\n";
    return r;
}

bool have_cli() {
    if (!client_bin().empty()) return true;
    WARN("beat_client is not built; its put/get commands are not tested");
    return false;
}

std::string server_arg(const Server& s) {
    return "127.0.0.1:" + std::to_string(s.tcp_port);
}

}  // namespace

TEST_CASE("Client puts points and gets them back sorted by timestamp", "[client]") {
    Server s = start_server();
    Client client = connect(s);
    client.put("cpu", 10, 100);
    client.put("cpu", 0.25, 99);
    client.put("cpu", 1e16, 101);
    client.put("cpu", -1.5, 98);
    client.put("cpu", 1.0 / 3, 100);  // The same second again replaces the value.
    CHECK(client.get("cpu") ==
          SeriesMap{{"cpu", {{98, -1.5}, {99, 0.25}, {100, 1.0 / 3}, {101, 1e16}}}});
    CHECK(client.get("missing").empty());
}

TEST_CASE("Client gets every series with *", "[client]") {
    Server s = start_server();
    Client client = connect(s);
    client.put("zeta", 1, 5);
    client.put("alpha", 2, 5);
    client.put("zeta", 3, 4);
    CHECK(client.get("*") == SeriesMap{{"alpha", {{5, 2.0}}}, {"zeta", {{4, 3.0}, {5, 1.0}}}});
}

TEST_CASE("Client stamps a put with the current time when given none", "[client]") {
    Server s = start_server();
    Client client = connect(s);
    const auto now = [] {
        return std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    };
    const std::int64_t before = now();
    client.put("mem", 42);
    const std::int64_t after = now();
    const SeriesMap got = client.get("mem");
    REQUIRE(got.at("mem").size() == 1);
    CHECK(got.at("mem")[0].first >= before);
    CHECK(got.at("mem")[0].first <= after);
    CHECK(got.at("mem")[0].second == 42.0);
}

TEST_CASE("Client keeps one connection for many requests", "[client]") {
    // With room for one connection, a client that reconnected per request would still work, but
    // a second client is turned away while the first stays connected.
    Server s = start_server({"--max-connections", "1"});
    Client client = connect(s);
    for (int i = 0; i < 500; ++i)
        client.put("n", i, i);
    CHECK(client.get("n").at("n").size() == 500);
    Client second = connect(s);
    CHECK_THAT(client_error([&] { second.get("n"); }), Contains("closed the connection"));
    CHECK(client.get("n").at("n").back() == std::pair<std::int64_t, double>{499, 499.0});
}

TEST_CASE("a malformed key gets the server's error and the connection stays usable", "[client]") {
    Server s = start_server();
    Client client = connect(s);
    for (const char* key : {"a b", "", "*", "tab\there", "bell\a"}) {
        INFO("key '" << key << "'");
        CHECK_THAT(client_error([&] { client.put(key, 1, 1); }), Contains("wrong command"));
    }
    CHECK_THAT(client_error([&] { client.get(""); }), Contains("wrong command"));
    CHECK_THAT(client_error([&] { client.get("a b"); }), Contains("wrong command"));
    CHECK(client.connected());
    client.put("fine", 1, 1);
    CHECK(client.get("fine") == SeriesMap{{"fine", {{1, 1.0}}}});
}

TEST_CASE("a value the server refuses gets its error", "[client]") {
    Server s = start_server();
    Client client = connect(s);
    CHECK_THAT(client_error([&] { client.put("k", std::numeric_limits<double>::quiet_NaN(), 1); }),
               Contains("wrong command"));
    CHECK_THAT(client_error([&] { client.put("k", std::numeric_limits<double>::infinity(), 1); }),
               Contains("wrong command"));
    CHECK(client.get("k").empty());
}

TEST_CASE("a key over the line limit gets the server's error, then the connection is closed",
          "[client]") {
    Server s = start_server();
    Client client = connect(s);
    CHECK_THAT(client_error([&] { client.get(std::string(70 * 1024, 'x')); }),
               Contains("line too long"));
    CHECK_THAT(client_error([&] { client.get("k"); }), Contains("127.0.0.1:"));
    CHECK_FALSE(client.connected());
}

TEST_CASE("a server that dies makes the next request throw", "[client]") {
    Server s = start_server();
    Client client = connect(s);
    client.put("k", 1, 1);
    s.proc->signal(SIGKILL);
    REQUIRE(s.proc->wait_exit());
    const std::string message = client_error([&] { client.get("k"); });
    CHECK_THAT(message, Contains("127.0.0.1:" + std::to_string(s.tcp_port)));
    CHECK_FALSE(client.connected());
    CHECK_THAT(client_error([&] { client.get("k"); }), Contains("not connected"));
    CHECK_THAT(client_error([&] { connect(s); }), Contains("refused"));
}

TEST_CASE("beat_client put and get print points the way the protocol writes them",
          "[client][cli]") {
    if (!have_cli()) return;
    Server s = start_server();
    const std::string server = server_arg(s);
    CHECK(run_cli({"put", "cpu", "10", "100", "--server", server}).exit_code == 0);
    CHECK(run_cli({"put", "cpu", "-1.5", "99", "--server", server}).exit_code == 0);
    CHECK(run_cli({"put", "cpu", "1e16", "101", "--server", server}).exit_code == 0);
    CHECK(run_cli({"put", "mem", "0.25", "7", "--server", server, "--timeout", "2"}).exit_code ==
          0);
    CliResult got = run_cli({"get", "cpu", "--server", server});
    CHECK(got.exit_code == 0);
    CHECK(got.out == "cpu -1.5 99\ncpu 10.0 100\ncpu 1e+16 101\n");
    CHECK(got.err.empty());
    got = run_cli({"get", "*", "--server", server});
    CHECK(got.exit_code == 0);
    CHECK(got.out == "cpu -1.5 99\ncpu 10.0 100\ncpu 1e+16 101\nmem 0.25 7\n");
    got = run_cli({"get", "missing", "--server", server});
    CHECK(got.exit_code == 0);
    CHECK(got.out.empty());
}

TEST_CASE("beat_client get * prints keys in the server's first-insertion order", "[client][cli]") {
    if (!have_cli()) return;
    Server s = start_server();
    const std::string server = server_arg(s);
    for (const char* key : {"zeta", "alpha", "mid"}) {
        REQUIRE(run_cli({"put", key, "1", "5", "--server", server}).exit_code == 0);
    }
    const CliResult got = run_cli({"get", "*", "--server", server});
    CHECK(got.exit_code == 0);
    CHECK(got.out == "zeta 1.0 5\nalpha 1.0 5\nmid 1.0 5\n");
}

TEST_CASE("beat_client put without a timestamp stores the point now", "[client][cli]") {
    if (!have_cli()) return;
    Server s = start_server();
    CHECK(run_cli({"put", "up", "1", "--server", server_arg(s)}).exit_code == 0);
    Client client = connect(s);
    CHECK(client.get("up").at("up").size() == 1);
}

TEST_CASE("beat_client exits 1 with the server's error", "[client][cli]") {
    if (!have_cli()) return;
    Server s = start_server();
    const CliResult r = run_cli({"put", "a b", "1", "2", "--server", server_arg(s)});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("wrong command"));
    CHECK(r.out.empty());
}

TEST_CASE("beat_client exits 1 when the server cannot be reached", "[client][cli]") {
    if (!have_cli()) return;
    Server s = start_server();
    const std::string server = server_arg(s);
    s.proc->signal(SIGKILL);
    REQUIRE(s.proc->wait_exit());
    CliResult r = run_cli({"get", "k", "--server", server});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("refused"));
    r = run_cli({"put", "k", "1", "--server", "no-such-host.invalid:1"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Contains("no-such-host.invalid"));
}

TEST_CASE("beat_client exits 2 on bad usage without contacting a server", "[client][cli]") {
    if (!have_cli()) return;
    const std::vector<std::vector<std::string>> bad = {
        {"put"},
        {"put", "k"},
        {"put", "k", "nan"},
        {"put", "k", "inf", "1"},
        {"put", "k", "abc"},
        {"put", "k", "1", "1.5"},
        {"put", "k", "1", "2", "3"},
        {"get"},
        {"get", "a", "b"},
        {"get", "k", "--server", "::1"},
        {"get", "k", "--server", "host:99999"},
        {"get", "k", "--timeout", "0"},
        {"get", "k", "--timeout", "soon"},
        {"get", "k", "--no-such-option"},
    };
    for (const auto& args : bad) {
        std::string shown;
        for (const auto& a : args)
            shown += a + " ";
        INFO(shown);
        const CliResult r = run_cli(args);
        CHECK(r.exit_code == 2);
        CHECK_FALSE(r.err.empty());
    }
}

TEST_CASE("beat_client put --help prints usage and exits 0", "[client][cli]") {
    if (!have_cli()) return;
    const CliResult r = run_cli({"put", "--help"});
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Contains("KEY"));
    CHECK_THAT(r.out, Contains("--server"));
}
