// Database: what the disk keeps follows the retention rule of the store: a segment (one batch's
// points) goes once its acceptance time is older than the retention, whatever the timestamps in
// it; a trim covers only the points written before it; a version 3 database is migrated, never
// refused. Every batch is given its time, so nothing here sleeps.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "beat_server/io/storage/database.hpp"
#include "tests/integration/harness.hpp"

using namespace beat;
using namespace beat::test;

namespace {

constexpr std::int64_t kAt = 1'700'000'000;  // 2023-11-14, Unix seconds.
constexpr std::int64_t kRetention = 7 * 86'400;
constexpr std::int64_t kYear9999 = 253'402'300'799;

using Stored = std::map<std::string, std::vector<std::int64_t>>;

// A batch accepted at `now_s` under kRetention, holding `points` (key id, timestamp) of the keys
// `keys` (id, name) created with it.
StorageBatch batch_at(std::int64_t now_s, std::vector<StoreJournal::NewKey> keys,
                      std::vector<std::pair<std::uint64_t, std::int64_t>> points) {
    StorageBatch b;
    b.accepted_s = now_s;
    b.retention_cutoff = now_s - kRetention;
    b.journal.keys = std::move(keys);
    for (const auto& [id, ts] : points)
        b.journal.points.push_back({id, ts, 1.0});
    return b;
}

// What a server started at `now_s` under kRetention loads: every key's timestamps.
Stored load(const TempDir& dir, std::int64_t now_s) {
    Database db(dir.path(), false, now_s);
    Store store;
    db.load_points(store, now_s - kRetention);
    Stored out;
    for (const Store::Entry* e : store.entries()) {
        for (const Point& p : e->second.points())
            out[e->first].push_back(p.timestamp);
    }
    return out;
}

// Every key's timestamps in `store`.
Stored held(const Store& store) {
    Stored out;
    for (const Store::Entry* e : store.entries()) {
        for (const Point& p : e->second.points())
            out[e->first].push_back(p.timestamp);
    }
    return out;
}

// Runs `sql` on `dir`/beat.db without beat's Database.
void run_sql(const TempDir& dir, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir.path() + "/beat.db").c_str(), &db) == SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    const std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    INFO(message);
    REQUIRE(rc == SQLITE_OK);
}

// The schema version recorded in `dir`/beat.db.
int schema_version(const TempDir& dir) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir.path() + "/beat.db").c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE name = 'schema'", -1, &q, nullptr);
    const int version = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : 0;
    sqlite3_finalize(q);
    sqlite3_close(db);
    return version;
}

// A blob of PointRecords, as a SQL literal.
std::string blob(const std::vector<StoreJournal::PointRecord>& points) {
    std::string bytes(points.size() * sizeof(StoreJournal::PointRecord), '\0');
    std::memcpy(bytes.data(), points.data(), bytes.size());
    static const char* hex = "0123456789abcdef";
    std::string out = "x'";
    for (const unsigned char c : bytes) {
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out + "'";
}

}  // namespace

TEST_CASE("a point dated in the future does not keep expired segments on disk", "[database]") {
    TempDir dir;
    {
        Database db(dir.path(), false, kAt);
        db.write(batch_at(kAt, {{1, "typo"}, {2, "web.cpu"}}, {{1, kYear9999}, {2, kAt}}));
        for (std::int64_t s = 1; s <= 10; ++s)
            db.write(batch_at(kAt + s, {}, {{2, kAt + s}}));
        // Normal traffic a retention later: the segments accepted before kAt + 5 go.
        db.write(batch_at(kAt + kRetention + 5, {}, {{2, kAt + kRetention + 5}}));
    }
    // Loaded with no retention at all, so what comes back is what the disk still holds.
    Database db(dir.path(), false, kAt);
    Store store;
    db.load_points(store, INT64_MIN);
    CHECK(held(store) ==
          Stored{{"web.cpu",
                  {kAt + 5, kAt + 6, kAt + 7, kAt + 8, kAt + 9, kAt + 10, kAt + kRetention + 5}}});
}

TEST_CASE("a segment is loaded until a retention after it was accepted, whatever its timestamps",
          "[database]") {
    TempDir dir;
    {
        Database db(dir.path(), false, kAt);
        db.write(batch_at(kAt, {{1, "palm.cpu"}, {2, "test"}}, {{1, 1'150'864'247}, {2, 1}}));
    }
    CHECK(load(dir, kAt + kRetention) == Stored{{"palm.cpu", {1'150'864'247}}, {"test", {1}}});
    CHECK(load(dir, kAt + kRetention + 1).empty());
    // Loading deleted it: a longer retention does not bring it back.
    CHECK(load(dir, kAt).empty());
}

TEST_CASE("a trim covers the points written before it, never one back-filled after it",
          "[database]") {
    TempDir dir;
    Stored in_memory;
    {
        Store store(RetentionLimits{0, 4, 0});
        StorageBatch batch;
        store.set_journal(&batch.journal);
        Database db(dir.path(), false, kAt);
        const auto write = [&](std::int64_t now_s) {
            batch.accepted_s = now_s;
            db.write(batch);
            batch.clear();
        };
        for (std::int64_t ts = 11; ts <= 18; ++ts)
            store.put("k", ts, 1, kAt);
        write(kAt);
        store.sweep(kAt + 1, 100);  // Keeps 15 to 18: a trim in a batch of its own.
        write(kAt + 1);
        store.put("k", 12, 2, kAt + 2);  // Back-filled in a later batch,
        store.sweep(kAt + 2, 100);       // rotated out again, trimmed in the same batch,
        store.put("k", 13, 3, kAt + 2);  // and one back-filled after that trim.
        write(kAt + 2);
        store.put("k", 1, 4, kAt + 3);  // Back-filled in a batch with no trim.
        write(kAt + 3);
        store.set_journal(nullptr);
        in_memory = held(store);
    }
    CHECK(in_memory == Stored{{"k", {1, 13, 15, 16, 17, 18}}});
    CHECK(load(dir, kAt + 4) == in_memory);
}

TEST_CASE("a later trim with an earlier cut-off does not bring back what an earlier trim dropped",
          "[database]") {
    TempDir dir;
    {
        Database db(dir.path(), false, kAt);
        StorageBatch first = batch_at(kAt, {{1, "k"}}, {});
        for (std::int64_t ts = 10; ts <= 20; ++ts)
            first.journal.points.push_back({1, ts, 1.0});
        first.journal.trims.push_back({1, 15, 11});
        db.write(first);
        // Two points back-filled, then a trim dropping only the older (as when expired blocks
        // had made room under the cap).
        StorageBatch second = batch_at(kAt + 1, {}, {{1, 1}, {1, 2}});
        second.journal.trims.push_back({1, 2, 2});
        db.write(second);
    }
    CHECK(load(dir, kAt + 2) == Stored{{"k", {2, 15, 16, 17, 18, 19, 20}}});
}

TEST_CASE("a version 3 database is migrated: its points are kept a retention from then",
          "[database]") {
    TempDir dir;
    // A database as version 3 wrote it: "old.k" was trimmed to keep_from 15.
    run_sql(dir,
            R"sql(
CREATE TABLE meta(name TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE keys(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE segments(id INTEGER PRIMARY KEY, max_ts INTEGER NOT NULL, points BLOB NOT NULL);
CREATE TABLE trims(key_id INTEGER PRIMARY KEY, keep_from INTEGER NOT NULL);
CREATE TABLE hosts(
  name TEXT PRIMARY KEY, address BLOB, incarnation INTEGER, sequence INTEGER,
  interval_ms INTEGER, first_seen_unix_ms INTEGER, last_seen_unix_ms INTEGER,
  last_send_time_ms INTEGER, beats INTEGER, lost INTEGER, restarts INTEGER,
  duplicates INTEGER) WITHOUT ROWID;
INSERT INTO meta VALUES('schema', 3), ('next_key_id', 3);
INSERT INTO keys VALUES(1, 'palm.cpu'), (2, 'old.k');
INSERT INTO trims VALUES(2, 15);
)sql" + std::string("INSERT INTO segments VALUES(1, 1150864248, ") +
                blob({{1, 1'150'864'247, 2.0}, {1, 1'150'864'248, 0.5}, {2, 10, 1}, {2, 20, 1}}) +
                ");");
    const std::int64_t migrated = kAt;
    {
        Database db(dir.path(), false, migrated);
        Store store;
        db.load_points(store, migrated - kRetention);
        CHECK(held(store) == Stored{{"palm.cpu", {1'150'864'247, 1'150'864'248}}, {"old.k", {20}}});
        // Back-filled after the migration: the old trim does not cover it.
        db.write(batch_at(migrated + 1, {}, {{2, 10}}));
    }
    CHECK(schema_version(dir) == 5);
    CHECK(load(dir, migrated + kRetention) ==
          Stored{{"palm.cpu", {1'150'864'247, 1'150'864'248}}, {"old.k", {10, 20}}});
    CHECK(load(dir, migrated + kRetention + 1) == Stored{{"old.k", {10}}});
}

TEST_CASE("a database of an unknown schema version is refused, naming both versions",
          "[database]") {
    TempDir dir;
    run_sql(dir,
            "CREATE TABLE meta(name TEXT PRIMARY KEY, value) WITHOUT ROWID;"
            "INSERT INTO meta VALUES('schema', 99);");
    CHECK_THROWS_WITH(Database(dir.path(), false, kAt),
                      Catch::Contains("schema version 99, expected 5"));
}

namespace {

using Values = std::map<std::string, std::vector<std::pair<std::int64_t, double>>>;

// Every key's points in `store`.
Values values(const Store& store) {
    Values out;
    for (const Store::Entry* e : store.entries()) {
        for (const Point& p : e->second.points())
            out[e->first].emplace_back(p.timestamp, p.value);
    }
    return out;
}

// What a server started at `now_s` under kRetention loads, with the values.
Values load_values(const TempDir& dir, std::int64_t now_s) {
    Database db(dir.path(), false, now_s);
    Store store;
    db.load_points(store, now_s - kRetention);
    return values(store);
}

// A compaction due whenever a segment holds a point, of `step` points at most per step.
CompactionPolicy eager(std::size_t step = 1'000'000) {
    return CompactionPolicy{0, 0, step, true};
}

// The number of rows of `table` in `dir`/beat.db.
std::int64_t rows(const TempDir& dir, const std::string& table) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir.path() + "/beat.db").c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, ("SELECT count(*) FROM " + table).c_str(), -1, &q, nullptr) ==
            SQLITE_OK);
    const std::int64_t n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    sqlite3_close(db);
    return n;
}

// A batch like batch_at's whose points carry values: (key id, timestamp, value).
StorageBatch valued_batch_at(std::int64_t now_s, std::vector<StoreJournal::NewKey> keys,
                             std::vector<StoreJournal::PointRecord> points) {
    StorageBatch b = batch_at(now_s, std::move(keys), {});
    b.journal.points = std::move(points);
    return b;
}

}  // namespace

TEST_CASE("compacted points survive a restart, as one chunk per key in place of the segments",
          "[database][compaction]") {
    TempDir dir;
    Values written;
    {
        Database db(dir.path(), false, kAt);
        db.set_compaction(eager());
        db.write(batch_at(kAt, {{1, "web.cpu"}, {2, "web.mem"}}, {}));
        for (std::int64_t s = 0; s < 100; ++s) {
            const double cpu = 12.25 + static_cast<double>(s % 9) / 100;
            db.write(valued_batch_at(kAt + s, {}, {{1, kAt + s * 5, cpu}, {2, kAt + s * 5, 8e9}}));
            written["web.cpu"].emplace_back(kAt + s * 5, cpu);
            written["web.mem"].emplace_back(kAt + s * 5, 8e9);
        }
        CHECK(db.compaction_due(kAt + 100));
        const CompactionResult r = db.compact();
        CHECK(r.segments == 100);
        CHECK(r.points == 200);
        CHECK(r.chunks == 2);
        CHECK(r.kept == 200);
        CHECK(r.bytes < 200 * 24 / 4);
        CHECK_FALSE(db.compaction_due(kAt + 100));
    }
    CHECK(rows(dir, "segments") == 0);
    CHECK(rows(dir, "chunks") == 2);
    CHECK(load_values(dir, kAt + 100) == written);
}

TEST_CASE("a replacement wins at load whether it was written before or after the compaction",
          "[database][compaction]") {
    TempDir dir;
    {
        Database db(dir.path(), false, kAt);
        db.set_compaction(eager());
        db.write(valued_batch_at(kAt, {{1, "k"}}, {{1, 10, 1.0}, {1, 20, 1.0}, {1, 30, 1.0}}));
        db.write(valued_batch_at(kAt + 1, {}, {{1, 20, 2.0}}));  // Before the compaction.
        db.compact();
        db.write(valued_batch_at(kAt + 2, {}, {{1, 30, 3.0}}));  // After it, in a segment,
    }
    CHECK(load_values(dir, kAt + 2) == Values{{"k", {{10, 1.0}, {20, 2.0}, {30, 3.0}}}});
    {
        Database db(dir.path(), false, kAt + 2);
        db.set_compaction(eager());
        db.compact();  // then in a later chunk,
        db.write(valued_batch_at(kAt + 3, {}, {{1, 10, 4.0}}));
        db.compact();  // and in a third.
    }
    CHECK(rows(dir, "segments") == 0);
    CHECK(rows(dir, "chunks") == 3);
    CHECK(load_values(dir, kAt + 4) == Values{{"k", {{10, 4.0}, {20, 2.0}, {30, 3.0}}}});
}

TEST_CASE("a trim covers compacted points written before it, never one written after it",
          "[database][compaction]") {
    // The trim scenario of the segments, with a compaction at each place it can come.
    const int compact_after = GENERATE(0, 1, 2, 3, 4);
    INFO("compacting after write " << compact_after);
    TempDir dir;
    Stored in_memory;
    {
        Store store(RetentionLimits{0, 4, 0});
        StorageBatch batch;
        store.set_journal(&batch.journal);
        Database db(dir.path(), false, kAt);
        db.set_compaction(eager());
        int writes = 0;
        const auto write = [&](std::int64_t now_s) {
            batch.accepted_s = now_s;
            db.write(batch);
            batch.clear();
            if (++writes == compact_after || compact_after == 0) db.compact();
        };
        for (std::int64_t ts = 11; ts <= 18; ++ts)
            store.put("k", ts, 1, kAt);
        write(kAt);
        store.sweep(kAt + 1, 100);  // Keeps 15 to 18: a trim in a batch of its own.
        write(kAt + 1);
        store.put("k", 12, 2, kAt + 2);  // Back-filled in a later batch,
        store.sweep(kAt + 2, 100);       // rotated out again, trimmed in the same batch,
        store.put("k", 13, 3, kAt + 2);  // and one back-filled after that trim.
        write(kAt + 2);
        store.put("k", 1, 4, kAt + 3);  // Back-filled in a batch with no trim.
        write(kAt + 3);
        store.set_journal(nullptr);
        in_memory = held(store);
    }
    CHECK(in_memory == Stored{{"k", {1, 13, 15, 16, 17, 18}}});
    CHECK(load(dir, kAt + 4) == in_memory);
    // Compacted once at the end: no trim covers anything left.
    if (compact_after == 4) CHECK(rows(dir, "trims") == 0);
}

TEST_CASE("a removed key's compacted points are not loaded, nor compacted once it is removed",
          "[database][compaction]") {
    TempDir dir;
    {
        Database db(dir.path(), false, kAt);
        db.set_compaction(eager());
        db.write(batch_at(kAt, {{1, "gone"}, {2, "stays"}, {3, "gone.too"}},
                          {{1, 10}, {2, 10}, {3, 10}}));
        db.compact();
        db.write(batch_at(kAt + 1, {}, {{3, 20}}));
        StorageBatch removal = batch_at(kAt + 2, {}, {});
        removal.journal.removed = {1, 3};
        db.write(removal);
        CHECK(db.compact().chunks == 0);  // Key 3's point of the segment is not kept.
    }
    CHECK(load(dir, kAt + 3) == Stored{{"stays", {10}}});
}

TEST_CASE("the retention deletes a chunk once its newest point was accepted a retention ago",
          "[database][compaction]") {
    TempDir dir;
    {
        Database db(dir.path(), false, kAt);
        db.set_compaction(eager());
        db.write(batch_at(kAt, {{1, "old"}, {2, "newer"}}, {{1, 10}, {2, 10}}));
        db.write(batch_at(kAt + 100, {}, {{2, 20}}));
        db.compact();  // "old" accepted at kAt, "newer" at kAt + 100.
        db.write(batch_at(kAt + kRetention + 1, {}, {}));
    }
    CHECK(rows(dir, "chunks") == 1);
    {
        // Loaded with no retention at all: what the disk still holds.
        Database db(dir.path(), false, kAt);
        Store store;
        db.load_points(store, INT64_MIN);
        CHECK(held(store) == Stored{{"newer", {10, 20}}});
    }
    // And at start, the same rule.
    CHECK(load(dir, kAt + kRetention + 101).empty());
}

TEST_CASE("compaction is due by the age of the oldest segment or the points waiting, in steps",
          "[database][compaction]") {
    TempDir dir;
    Database db(dir.path(), false, kAt);
    db.set_compaction(CompactionPolicy{600, 5, 4, true});
    CHECK_FALSE(db.compaction_due(kAt + 10'000));  // Nothing to compact.
    db.write(batch_at(kAt, {{1, "k"}}, {{1, 1}, {1, 2}}));
    CHECK_FALSE(db.compaction_due(kAt + 599));
    CHECK(db.compaction_due(kAt + 600));
    for (std::int64_t s = 1; s <= 2; ++s)
        db.write(batch_at(kAt + s, {}, {{1, 2 * s + 1}, {1, 2 * s + 2}}));
    CHECK(db.compaction_due(kAt + 2));  // 6 points waiting.
    // Steps of at most 4 points: two segments, then the last.
    CHECK(db.compact().segments == 2);
    CHECK_FALSE(db.compaction_due(kAt + 2));
    CHECK(db.compaction_due(kAt + 602));
    CHECK(db.compact().segments == 1);
    CHECK_FALSE(db.compaction_due(kAt + 10'000));
    db.set_compaction(CompactionPolicy{0, 0, 1, false});
    db.write(batch_at(kAt + 3, {}, {{1, 100}}));
    CHECK_FALSE(db.compaction_due(kAt + 10'000));
}

TEST_CASE("a version 4 database is migrated: its segments are loaded, then compacted",
          "[database][compaction]") {
    TempDir dir;
    // A database as version 4 wrote it: "k" was trimmed to keep_from 15 after segment 1.
    run_sql(dir,
            R"sql(
CREATE TABLE meta(name TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE keys(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE segments(id INTEGER PRIMARY KEY, accepted_s INTEGER NOT NULL, points BLOB NOT NULL);
CREATE TABLE trims(key_id INTEGER NOT NULL, segment INTEGER NOT NULL,
                   points INTEGER NOT NULL, keep_from INTEGER NOT NULL,
                   PRIMARY KEY(key_id, segment, points)) WITHOUT ROWID;
CREATE INDEX trims_by_segment ON trims(segment);
CREATE TABLE hosts(
  name TEXT PRIMARY KEY, address BLOB, incarnation INTEGER, sequence INTEGER,
  interval_ms INTEGER, first_seen_unix_ms INTEGER, last_seen_unix_ms INTEGER,
  last_send_time_ms INTEGER, beats INTEGER, lost INTEGER, restarts INTEGER,
  duplicates INTEGER) WITHOUT ROWID;
INSERT INTO meta VALUES('schema', 4), ('next_key_id', 3), ('next_segment_id', 3);
INSERT INTO keys VALUES(1, 'palm.cpu'), (2, 'k');
INSERT INTO trims VALUES(2, 2, 0, 15);
)sql" + std::string("INSERT INTO segments VALUES(1, ") +
                std::to_string(kAt) + ", " +
                blob({{1, 1'150'864'247, 2.0}, {2, 10, 1}, {2, 20, 1}}) + ");" +
                "INSERT INTO segments VALUES(2, " + std::to_string(kAt + 1) + ", " +
                blob({{1, 1'150'864'247, 0.5}, {2, 11, 1}}) + ");");
    const Values want{{"palm.cpu", {{1'150'864'247, 0.5}}}, {"k", {{11, 1}, {20, 1}}}};
    CHECK(load_values(dir, kAt + 2) == want);
    CHECK(schema_version(dir) == 5);
    {
        Database db(dir.path(), false, kAt + 2);
        db.set_compaction(eager());
        CHECK(db.compaction_due(kAt + 2));
        CHECK(db.compact().segments == 2);
    }
    CHECK(rows(dir, "segments") == 0);
    CHECK(load_values(dir, kAt + 3) == want);
}

TEST_CASE("a host's transitions are kept with it, replaced when they change, deleted with it",
          "[database]") {
    TempDir dir;
    HostSnapshot web1;
    web1.name = "web1";
    web1.transitions = {{1'000, 1'000, TransitionKind::new_host},
                        {9'000, 6'000, TransitionKind::silent},
                        {20'000, 20'000, TransitionKind::back}};
    HostSnapshot db1;
    db1.name = "db<1\"&";
    db1.transitions = {{5'000, 5'000, TransitionKind::new_host}};
    {
        Database db(dir.path(), false, kAt);
        StorageBatch b;
        b.hosts = {web1, db1};
        db.write(b);
        // A later snapshot without transitions (they did not change) keeps the stored ones.
        b.hosts = {db1};
        b.hosts[0].transitions.clear();
        db.write(b);
    }
    {
        Database db(dir.path(), false, kAt);
        std::map<std::string, std::vector<Transition>> loaded;
        for (const HostSnapshot& h : db.load_hosts())
            loaded[h.name] = h.transitions;
        CHECK(loaded["web1"] == web1.transitions);
        CHECK(loaded["db<1\"&"] == db1.transitions);
        StorageBatch b;
        web1.transitions.push_back({30'000, 28'000, TransitionKind::settled_silent});
        b.hosts = {web1};
        b.forgotten = {"db<1\"&"};
        db.write(b);
    }
    Database db(dir.path(), false, kAt);
    const std::vector<HostSnapshot> hosts = db.load_hosts();
    REQUIRE(hosts.size() == 1);
    CHECK(hosts[0].transitions == web1.transitions);
}
