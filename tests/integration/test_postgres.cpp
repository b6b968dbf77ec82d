// The PostgreSQL sink end to end: real servers writing a real PostgreSQL 15 that the test starts
// in a temporary directory (tests/integration/postgres_instance.hpp).
#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "common/wire.hpp"
#include "tests/integration/harness.hpp"
#include "tests/integration/postgres_instance.hpp"

using namespace beat;
using namespace beat::test;

namespace {

std::vector<std::string> sink_flags(const PostgresInstance& pg, std::string batch = "0.1") {
    return {"--postgres", pg.conninfo(), "--postgres-batch", std::move(batch)};
}

// Polls `sql` until it returns `want` (psql's unaligned output), for at most `timeout`; returns
// the last answer.
std::string wait_for_query(const PostgresInstance& pg, std::string_view sql, std::string_view want,
                           std::chrono::milliseconds timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    std::string got;
    for (;;) {
        try {
            got = pg.query(sql);
        } catch (const std::exception& e) {
            got = e.what();  // The schema may not exist yet.
        }
        if (got == want || Clock::now() >= deadline) return got;
        std::this_thread::sleep_for(50ms);  // Polling an observable condition, bounded.
    }
}

std::string stopped_line(Server& s) {
    s.proc->signal(SIGTERM);
    const auto line = s.proc->wait_for_line("INFO stopped ", 8s);
    REQUIRE(line);
    REQUIRE(s.proc->wait_exit(5s) == 0);
    return *line;
}

std::string beat_datagram(const std::string& host, std::uint64_t seq, std::vector<Metric> metrics) {
    Heartbeat hb;
    hb.host = host;
    hb.incarnation = 7;
    hb.sequence = seq;
    hb.send_time_ms = unix_now_ms();
    hb.interval_ms = 1000;
    hb.metrics = std::move(metrics);
    return pack_beat(hb).at(0);
}

}  // namespace

TEST_CASE("puts and beats' metrics appear in beat.points", "[postgres]") {
    PostgresInstance pg;
    Server s = start_server(sink_flags(pg));
    const std::int64_t now = unix_now_ms() / 1000;
    const std::string t = std::to_string(now);
    CHECK(tcp_request(s.tcp_port,
                      "put app.x 1.5 " + t + "\nput app.x 2.5 " + t + "\nput app.y -1 1136214245\n",
                      3) == "ok\n\nok\n\nok\n\n");
    send_udp(s.udp_port, beat_datagram("alpha", 1, {{"cpu", 23.5}}));
    REQUIRE(s.proc->wait_for_line("host new host=alpha"));
    // A second write of the same key and second replaced the first; 2006 lands in the default
    // partition.
    CHECK(wait_for_query(pg,
                         "SELECT key, extract(epoch FROM time)::bigint, value FROM beat.points"
                         " WHERE key LIKE 'app.%' ORDER BY key",
                         "app.x|" + t + "|2.5\napp.y|1136214245|-1\n") ==
          "app.x|" + t + "|2.5\napp.y|1136214245|-1\n");
    CHECK(wait_for_query(pg, "SELECT value FROM beat.points WHERE key = 'alpha.cpu'", "23.5\n") ==
          "23.5\n");
    CHECK(pg.query("SELECT count(*) FROM beat.point_rows_other") == "1\n");
    // The host's arrival is an event of this server, named by its host name and UDP port.
    const std::string server = "|" + std::to_string(s.udp_port) + "\n";
    const std::string events =
        wait_for_query(pg, "SELECT host, event, split_part(server, ':', 2) FROM beat.host_events",
                       "alpha|new" + server);
    CHECK(events == "alpha|new" + server);
    CHECK(wait_for_query(pg, "SELECT host, state, (detail->>'beats') FROM beat.hosts",
                         "alpha|up|1\n") == "alpha|up|1\n");
    CHECK(pg.query("SELECT version FROM beat.schema_version ORDER BY 1") == "1\n2\n");
    CHECK(pg.query("SELECT data_type FROM information_schema.columns WHERE table_schema = 'beat'"
                   " AND table_name IN ('series', 'point_rows') AND column_name IN ('id', 'series')"
                   " ORDER BY table_name") == "bigint\nbigint\n");
    const std::string metrics = http_get(s.http_port, "/metrics").body;
    CHECK(metrics.find("\nbeat_postgres_connected 1\n") != std::string::npos);
    CHECK(metrics.find("\nbeat_postgres_rows_written_total 3\n") != std::string::npos);
    CHECK(metrics.find("\nbeat_postgres_dropped_points_total 0\n") != std::string::npos);
    const std::string stopped = stopped_line(s);
    CHECK(field(stopped, "postgres_dropped") == "0");
    CHECK(field(stopped, "postgres_failures") == "0");
}

TEST_CASE("a schema of version 1 is migrated to bigint series ids, its points kept", "[postgres]") {
    PostgresInstance pg;
    // The schema as version 1 created it, the points partitioned natively, with two points.
    pg.query(
        "CREATE SCHEMA beat;"
        "CREATE TABLE beat.schema_version (version integer NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now());"
        "CREATE TABLE beat.series (id serial PRIMARY KEY, key text NOT NULL UNIQUE);"
        "CREATE TABLE beat.point_rows (series integer NOT NULL, time timestamptz NOT NULL,"
        " value double precision NOT NULL, PRIMARY KEY (series, time)) PARTITION BY RANGE (time);"
        "CREATE TABLE beat.point_rows_other PARTITION OF beat.point_rows DEFAULT;"
        "CREATE VIEW beat.points AS SELECT s.key, p.time, p.value"
        " FROM beat.point_rows p JOIN beat.series s ON s.id = p.series;"
        "CREATE TABLE beat.host_events (time timestamptz NOT NULL, server text NOT NULL,"
        " host text NOT NULL, event text NOT NULL, address text, detail jsonb);"
        "CREATE INDEX host_events_host_time ON beat.host_events (host, time);"
        "CREATE TABLE beat.hosts (server text NOT NULL, host text NOT NULL, state text NOT NULL,"
        " last_seen timestamptz, address text, detail jsonb, PRIMARY KEY (server, host));"
        "INSERT INTO beat.schema_version (version) VALUES (1);"
        "INSERT INTO beat.series (key) VALUES ('old.k');"
        "INSERT INTO beat.point_rows VALUES (1, to_timestamp(1700000000), 1),"
        " (1, to_timestamp(1700000001), 2)");
    Server s = start_server(sink_flags(pg));
    // One point new, one stored already: its value replaced.
    REQUIRE(tcp_request(s.tcp_port, "put old.k 3 1700000002\nput old.k 4 1700000000\n", 2) ==
            "ok\n\nok\n\n");
    CHECK(wait_for_query(pg,
                         "SELECT extract(epoch FROM time)::bigint, value FROM beat.points"
                         " WHERE key = 'old.k' ORDER BY 1",
                         "1700000000|4\n1700000001|2\n1700000002|3\n") ==
          "1700000000|4\n1700000001|2\n1700000002|3\n");
    CHECK(pg.query("SELECT version FROM beat.schema_version ORDER BY 1") == "1\n2\n");
    CHECK(pg.query("SELECT DISTINCT data_type FROM information_schema.columns"
                   " WHERE table_schema = 'beat' AND column_name IN ('id', 'series')") ==
          "bigint\n");
    const std::string stopped = stopped_line(s);
    CHECK(field(stopped, "postgres_failures") == "0");
    CHECK(field(stopped, "postgres_rows") == "2");
}

TEST_CASE("two servers starting together create the schema once and store a point once",
          "[postgres]") {
    PostgresInstance pg;
    std::vector<std::string> flags = sink_flags(pg);
    flags.insert(flags.end(), {"--log-level", "debug"});
    Server a = start_server(flags);
    Server b = start_server(flags);
    const std::string put = "put shared.k 7 1700000000\n";
    CHECK(tcp_request(a.tcp_port, put) == "ok\n\n");
    CHECK(tcp_request(b.tcp_port, put) == "ok\n\n");
    CHECK(wait_for_query(pg, "SELECT count(*) FROM beat.points WHERE key = 'shared.k'", "1\n") ==
          "1\n");
    CHECK(pg.query("SELECT count(*) FROM beat.schema_version") == "2\n");
    CHECK(pg.query("SELECT count(*) FROM beat.series WHERE key = 'shared.k'") == "1\n");
    for (Server* s : {&a, &b}) {
        const std::string stopped = stopped_line(*s);
        CHECK(field(stopped, "postgres_failures") == "0");
        for (const std::string& l : s->proc->lines())
            CHECK(l.find("ERROR") == std::string::npos);
    }
}

TEST_CASE("shutdown writes the points still waiting for the next batch", "[postgres]") {
    PostgresInstance pg;
    Server s = start_server(sink_flags(pg, "60"));
    TcpConn c(s.tcp_port);
    std::string puts;
    for (int i = 0; i < 1000; ++i)
        puts += "put flush.k " + std::to_string(i) + " " + std::to_string(1'700'000'000 + i) + "\n";
    c.send(puts);
    std::string want;
    for (int i = 0; i < 1000; ++i)
        want += "ok\n\n";
    REQUIRE(c.read_replies(1000) == want);
    const std::string stopped = stopped_line(s);
    CHECK(field(stopped, "postgres_rows") == "1000");
    CHECK(field(stopped, "postgres_dropped") == "0");
    CHECK(pg.query("SELECT count(*), sum(value) FROM beat.points WHERE key = 'flush.k'") ==
          "1000|499500\n");
}

TEST_CASE("a database restarted under load loses no acknowledged point", "[postgres]") {
    PostgresInstance pg;
    Server s = start_server(sink_flags(pg));
    TcpConn c(s.tcp_port);
    int sent = 0;
    // Puts 200 points of distinct seconds, each acknowledged.
    const auto put_round = [&] {
        std::string puts, want;
        for (int i = 0; i < 200; ++i, ++sent) {
            puts += "put restart.k 1 " + std::to_string(1'700'000'000 + sent) + "\n";
            want += "ok\n\n";
        }
        c.send(puts);
        REQUIRE(c.read_replies(200) == want);
    };
    for (int round = 0; round < 5; ++round)
        put_round();
    REQUIRE(wait_for_query(pg, "SELECT count(*) FROM beat.points", "1000\n") == "1000\n");
    pg.stop();
    for (int round = 0; round < 10; ++round)  // Acknowledged while the database is away.
        put_round();
    REQUIRE(s.proc->wait_for_line("ERROR postgres: ", 10s));  // The failure, logged.
    pg.start();
    for (int round = 0; round < 5; ++round)
        put_round();
    CHECK(wait_for_query(pg, "SELECT count(*) FROM beat.points", "4000\n", 20s) == "4000\n");
    const std::string stopped = stopped_line(s);
    CHECK(field(stopped, "postgres_rows") == "4000");
    CHECK(field(stopped, "postgres_dropped") == "0");
    CHECK(field(stopped, "postgres_failures") != "0");
}

namespace {

// The timestamps `get KEY` answers with, one per line of "KEY VALUE TS".
std::set<std::string> stored_seconds(const Server& s, const std::string& key) {
    std::set<std::string> seconds;
    std::istringstream in(tcp_request(s.tcp_port, "get " + key + "\n"));
    std::string line;
    while (std::getline(in, line)) {
        const auto space = line.rfind(' ');
        if (line.starts_with(key + " ") && space != std::string::npos)
            seconds.insert(line.substr(space + 1));
    }
    return seconds;
}

}  // namespace

TEST_CASE("two servers fed by one fanned-out agent store each point once", "[postgres]") {
    PostgresInstance pg;
    Server a = start_server(sink_flags(pg));
    Server b = start_server(sink_flags(pg));
    auto agent = start_agent({"--server", "127.0.0.1:" + std::to_string(a.udp_port), "--server",
                              "127.0.0.1:" + std::to_string(b.udp_port), "--interval", "0.2",
                              "--host", "fan", "--metric", "role=3"});
    REQUIRE(a.proc->wait_for_line("host new host=fan"));
    REQUIRE(b.proc->wait_for_line("host new host=fan"));
    // Beats of at least three seconds, written by both servers.
    REQUIRE(wait_for_query(pg, "SELECT count(*) >= 3 FROM beat.points WHERE key = 'fan.role'",
                           "t\n") == "t\n");
    agent->signal(SIGTERM);
    REQUIRE(agent->wait_exit(5s) == 0);
    std::set<std::string> seconds = stored_seconds(a, "fan.role");
    seconds.merge(stored_seconds(b, "fan.role"));
    for (Server* s : {&a, &b}) {
        const std::string stopped = stopped_line(*s);
        CHECK(field(stopped, "postgres_failures") == "0");
        CHECK(field(stopped, "postgres_rows") != "0");
    }
    std::string want;
    for (const std::string& t : seconds)
        want += t + "|3\n";
    CHECK(pg.query("SELECT extract(epoch FROM time)::bigint, value FROM beat.points"
                   " WHERE key = 'fan.role' ORDER BY 1") == want);
    CHECK(pg.query("SELECT count(*) FROM beat.series WHERE key = 'fan.role'") == "1\n");
    CHECK(pg.query("SELECT count(*) FROM beat.host_events WHERE host = 'fan' AND event = 'new'") ==
          "2\n");
}

TEST_CASE("points the database never got by the end of a shutdown are counted and logged",
          "[postgres]") {
    PostgresInstance pg;
    Server s = start_server(sink_flags(pg));
    REQUIRE(tcp_request(s.tcp_port, "put away.k 1 1700000000\n") == "ok\n\n");
    REQUIRE(wait_for_query(pg, "SELECT count(*) FROM beat.points", "1\n") == "1\n");
    pg.stop();
    TcpConn c(s.tcp_port);
    std::string puts, want;
    for (int i = 1; i <= 100; ++i) {
        puts += "put away.k 2 " + std::to_string(1'700'000'000 + i) + "\n";
        want += "ok\n\n";
    }
    c.send(puts);
    REQUIRE(c.read_replies(100) == want);
    const auto sent = Clock::now();
    const std::string stopped = stopped_line(s);
    CHECK(Clock::now() - sent < 5s);  // Within the shutdown budget, the database away.
    CHECK(field(stopped, "postgres_rows") == "1");
    CHECK(field(stopped, "postgres_dropped") == "100");
    bool logged = false;
    for (const std::string& l : s.proc->lines())
        logged = logged || l.find("100 points and 0 events not written") != std::string::npos;
    CHECK(logged);
}

namespace {

// The value of `metric` on the server's /metrics ("" when absent).
std::string metric_value(const Server& s, std::string_view metric) {
    const std::string page = http_get(s.http_port, "/metrics").body;
    const std::string prefix = "\n" + std::string(metric) + " ";
    const auto at = page.find(prefix);
    if (at == std::string::npos) return "";
    const auto start = at + prefix.size();
    return page.substr(start, page.find('\n', start) - start);
}

}  // namespace

TEST_CASE("points beyond --postgres-queue are counted dropped and logged once a minute",
          "[postgres]") {
    PostgresInstance pg;
    Server s = start_server(
        {"--postgres", pg.conninfo(), "--postgres-batch", "0.05", "--postgres-queue", "100"});
    TcpConn c(s.tcp_port);
    c.send("put queue.k 1 1699999999\n");
    REQUIRE(c.read_replies(1) == "ok\n\n");
    REQUIRE(wait_for_query(pg, "SELECT count(*) FROM beat.points", "1\n") == "1\n");
    pg.stop();
    // 100 points fill the queue, however the batches cut them; the 20 of each later round are
    // dropped and counted, each round a batch of its own.
    const auto put = [&](int first, int n) {
        std::string puts, want;
        for (int i = first; i < first + n; ++i) {
            puts += "put queue.k 1 " + std::to_string(1'700'000'000 + i) + "\n";
            want += "ok\n\n";
        }
        c.send(puts);
        REQUIRE(c.read_replies(static_cast<std::size_t>(n)) == want);
    };
    put(0, 100);
    for (int round = 1; round <= 3; ++round) {
        put(100 + 20 * (round - 1), 20);
        const std::string want = std::to_string(20 * round);
        const auto deadline = Clock::now() + 5s;
        while (metric_value(s, "beat_postgres_dropped_points_total") != want &&
               Clock::now() < deadline)
            std::this_thread::sleep_for(20ms);  // Polling an observable condition, bounded.
        REQUIRE(metric_value(s, "beat_postgres_dropped_points_total") == want);
    }
    CHECK(metric_value(s, "beat_postgres_waiting_points") == "100");
    pg.start();
    CHECK(wait_for_query(pg, "SELECT count(*) FROM beat.points", "101\n", 20s) == "101\n");
    CHECK(pg.query("SELECT max(extract(epoch FROM time))::bigint FROM beat.points") ==
          "1700000099\n");  // The newest were dropped.
    const std::string stopped = stopped_line(s);
    CHECK(field(stopped, "postgres_rows") == "101");
    CHECK(field(stopped, "postgres_dropped") == "60");
    int logged = 0;
    for (const std::string& l : s.proc->lines())
        if (l.find("too many points waiting for the database, dropped_points=20") !=
            std::string::npos)
            ++logged;
        else
            CHECK(l.find("too many points waiting") == std::string::npos);
    CHECK(logged == 1);
}

TEST_CASE("partitions wholly older than --retention are dropped at connection, today's kept",
          "[postgres]") {
    PostgresInstance pg;
    const std::vector<std::string> flags{"--postgres", pg.conninfo(), "--postgres-batch",
                                         "0.05",       "--retention", "2d"};
    {
        Server first = start_server(flags);
        REQUIRE(tcp_request(first.tcp_port, "put new.k 1 " + std::to_string(unix_now_ms() / 1000) +
                                                "\n") == "ok\n\n");
        REQUIRE(wait_for_query(pg, "SELECT count(*) FROM beat.points", "1\n") == "1\n");
        stopped_line(first);
    }
    // A partition of ten days ago (UTC), with a point, as an older server would have left it.
    const std::string old_day = "(now() AT TIME ZONE 'UTC')::date - 10";
    pg.query("DO $$ DECLARE d date := " + old_day +
             "; BEGIN EXECUTE format('CREATE TABLE beat.point_rows_%s PARTITION OF "
             "beat.point_rows FOR VALUES FROM (%L) TO (%L)', to_char(d, 'YYYYMMDD'), "
             "d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC'); END $$");
    pg.query(
        "INSERT INTO beat.series (key) VALUES ('old.k');"
        "INSERT INTO beat.point_rows SELECT id, now() - interval '10 days', 1 FROM beat.series"
        " WHERE key = 'old.k'");
    const std::string partitions =
        "SELECT tablename FROM pg_tables WHERE schemaname = 'beat' AND tablename IN ("
        "'point_rows_' || to_char(" +
        old_day + ", 'YYYYMMDD'), 'point_rows_' || to_char(" + old_day +
        " + 10, 'YYYYMMDD')) ORDER BY 1";
    REQUIRE(pg.query("SELECT count(*) FROM beat.points WHERE key = 'old.k'") == "1\n");
    const std::string both = pg.query(partitions);
    REQUIRE(std::count(both.begin(), both.end(), '\n') == 2);

    Server second = start_server(flags);
    REQUIRE(tcp_request(second.tcp_port, "put new.k 2 " + std::to_string(unix_now_ms() / 1000 + 1) +
                                             "\n") == "ok\n\n");
    const auto dropped = second.proc->wait_for_line("postgres: dropped 1 partitions", 10s);
    REQUIRE(dropped);
    CHECK(dropped->find(both.substr(0, both.find('\n'))) != std::string::npos);
    CHECK(pg.query(partitions) == both.substr(both.find('\n') + 1));  // Today's.
    CHECK(pg.query("SELECT count(*) FROM beat.points WHERE key = 'old.k'") == "0\n");
    CHECK(wait_for_query(pg, "SELECT count(*) FROM beat.points WHERE key = 'new.k'", "2\n") ==
          "2\n");
    CHECK(field(stopped_line(second), "postgres_failures") == "0");
}
