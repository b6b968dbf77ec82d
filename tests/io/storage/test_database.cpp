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
    CHECK(schema_version(dir) == 4);
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
                      Catch::Contains("schema version 99, expected 4"));
}
