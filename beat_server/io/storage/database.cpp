#include "beat_server/io/storage/database.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "common/log.hpp"

namespace beat {
namespace {

constexpr int kSchemaVersion = 4;

static_assert(sizeof(StoreJournal::PointRecord) == 24 &&
              std::is_trivially_copyable_v<StoreJournal::PointRecord>);

// Each batch's points are appended as one row, a segment: a blob of StoreJournal::PointRecord in
// the machine's byte order, the cheapest write SQLite has (a memcpy per point), with the time the
// batch was accepted. Segments are numbered in the order they are written, never reusing a
// number, and their acceptance times never decrease with the number. A replaced value is a later
// record for the same (key, ts), and loading lets the later one win. What the retention drops is
// recorded instead of searched for: a removed key's row goes from `keys` (its points are
// skipped), segments accepted longer than the retention ago are deleted whole (the oldest first),
// and a key rotated by --max-points-per-key gets a row in `trims`: its points with a timestamp
// before keep_from are dropped from the segments numbered below `segment` and from the first
// `points` points of segment `segment`, the points written before the trim, never from a point
// written after it. A trim that another of the same key covers entirely is deleted.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keys(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS segments(id INTEGER PRIMARY KEY, accepted_s INTEGER NOT NULL,
                                    points BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS trims(key_id INTEGER NOT NULL, segment INTEGER NOT NULL,
                                 points INTEGER NOT NULL, keep_from INTEGER NOT NULL,
                                 PRIMARY KEY(key_id, segment, points)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS trims_by_segment ON trims(segment);
CREATE TABLE IF NOT EXISTS hosts(
  name TEXT PRIMARY KEY, address BLOB, incarnation INTEGER, sequence INTEGER,
  interval_ms INTEGER, first_seen_unix_ms INTEGER, last_seen_unix_ms INTEGER,
  last_send_time_ms INTEGER, beats INTEGER, lost INTEGER, restarts INTEGER,
  duplicates INTEGER) WITHOUT ROWID;
)sql";

// SQLite stores signed 64-bit integers; counters and sequence numbers travel as their bits.
sqlite3_int64 as_int(std::uint64_t v) {
    return static_cast<sqlite3_int64>(v);
}
std::uint64_t as_uint(sqlite3_int64 v) {
    return static_cast<std::uint64_t>(v);
}

// Resets a statement and its bindings when leaving a scope, however it is left.
struct Reset {
    sqlite3_stmt* s;
    ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
};

// A row of `trims` read back: it covers the points of its key before (segment, points).
struct TrimRow {
    std::int64_t segment;
    std::int64_t points;
    std::int64_t keep_from;  // After loading: the largest keep_from of this row and the later.

    // Whether the trim was made after the point `index` of segment `s` was written.
    bool covers(std::int64_t s, std::int64_t index) const noexcept {
        return s < segment || (s == segment && index < points);
    }
};

}  // namespace

// Delegating to the default constructor makes the object complete before open() runs, so when
// open() throws the destructor still closes what it opened (the connection, its statements).
Database::Database(const std::string& dir, bool sync, std::int64_t now_unix_s) : Database() {
    open(dir, sync, now_unix_s);
}

void Database::open(const std::string& dir, bool sync, std::int64_t now_unix_s) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        throw StorageError("cannot create data directory " + dir + ": " + ec.message(),
                           SQLITE_CANTOPEN);
    }
    path_ = (std::filesystem::path(dir) / "beat.db").string();
    const int rc =
        sqlite3_open_v2(path_.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) fail("cannot open", rc);
    sqlite3_extended_result_codes(db_, 1);
    // Exclusive locking: a second server on the same directory fails at start instead of
    // interleaving its writes, and WAL needs no shared-memory file.
    exec("PRAGMA locking_mode=EXCLUSIVE");
    exec("PRAGMA journal_mode=WAL");
    exec(sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    // Checkpoint every 32 MiB of WAL rather than 4: fewer, larger copies into the database file.
    exec("PRAGMA wal_autocheckpoint=8192");
    // Writing the schema (or, when it exists, the open time) proves the file is writable and
    // takes the exclusive lock now rather than at the first batch.
    exec("BEGIN IMMEDIATE");
    exec("CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value) WITHOUT ROWID");
    sqlite3_stmt* version = prepare("SELECT value FROM meta WHERE name='schema'");
    int found = 0;
    if (sqlite3_step(version) == SQLITE_ROW) found = sqlite3_column_int(version, 0);
    sqlite3_reset(version);
    if (found == 3) {
        migrate_from_v3(now_unix_s);
    } else if (found != 0 && found != kSchemaVersion) {
        exec("ROLLBACK");
        throw StorageError(path_ + " has schema version " + std::to_string(found) + ", expected " +
                               std::to_string(kSchemaVersion),
                           SQLITE_MISMATCH);
    }
    exec(kSchema);
    exec(("INSERT OR REPLACE INTO meta VALUES('schema', " + std::to_string(kSchemaVersion) +
          "), ('opened_unix_s', strftime('%s','now'))")
             .c_str());
    {
        sqlite3_stmt* q = prepare(
            "SELECT max((SELECT coalesce(max(id), 0) + 1 FROM segments), "
            "coalesce((SELECT value FROM meta WHERE name = 'next_segment_id'), 1)), "
            "(SELECT accepted_s FROM segments ORDER BY id DESC LIMIT 1)");
        Reset reset{q};
        if (sqlite3_step(q) != SQLITE_ROW) fail("cannot read the segments", sqlite3_errcode(db_));
        next_segment_ = sqlite3_column_int64(q, 0);
        if (sqlite3_column_type(q, 1) != SQLITE_NULL) last_accepted_s_ = sqlite3_column_int64(q, 1);
    }
    exec("COMMIT");

    insert_key_ = prepare("INSERT OR REPLACE INTO keys(id, name) VALUES(?, ?)");
    next_key_id_ = prepare("INSERT OR REPLACE INTO meta VALUES('next_key_id', ?)");
    insert_segment_ = prepare("INSERT INTO segments(id, accepted_s, points) VALUES(?, ?, ?)");
    next_segment_id_ = prepare("INSERT OR REPLACE INTO meta VALUES('next_segment_id', ?)");
    trim_ = prepare(
        "INSERT OR REPLACE INTO trims(key_id, segment, points, keep_from) "
        "VALUES(?1, ?2, ?3, ?4)");
    subsumed_trims_ = prepare(
        "DELETE FROM trims WHERE key_id = ?1 AND keep_from <= ?4 AND "
        "(segment < ?2 OR (segment = ?2 AND points <= ?3))");
    delete_trim_ = prepare("DELETE FROM trims WHERE key_id = ?");
    delete_key_ = prepare("DELETE FROM keys WHERE id = ?");
    oldest_segments_ = prepare("SELECT id, accepted_s FROM segments ORDER BY id LIMIT 64");
    drop_segments_ = prepare("DELETE FROM segments WHERE id <= ?");
    drop_trims_ = prepare("DELETE FROM trims WHERE segment <= ?");
    upsert_host_ = prepare("INSERT OR REPLACE INTO hosts VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
    delete_host_ = prepare("DELETE FROM hosts WHERE name = ?");
}

Database::~Database() {
    for (sqlite3_stmt* s : statements_)
        sqlite3_finalize(s);
    // Closing checkpoints the WAL into the database file.
    if (db_ != nullptr) sqlite3_close_v2(db_);
}

void Database::fail(const std::string& what, int rc) {
    std::string reason = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    const int primary = rc & 0xff;
    if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
        reason += " (the file is corrupt or not a beat database; move it away to start afresh)";
    } else if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
        reason += " (another process is using it)";
    }
    throw StorageError("database " + path_ + ": " + what + ": " + reason, rc);
}

void Database::exec(const char* sql) {
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) fail(std::string("cannot run ") + std::string(sql).substr(0, 40), rc);
}

void Database::migrate_from_v3(std::int64_t now_unix_s) {
    // Version 3 kept the newest timestamp of each segment instead of its acceptance time, and a
    // trim per key that applied to every segment, even to those written after it.
    exec("ALTER TABLE segments RENAME COLUMN max_ts TO accepted_s");
    exec(("UPDATE segments SET accepted_s = " + std::to_string(now_unix_s)).c_str());
    const auto segments = sqlite3_changes64(db_);
    exec("ALTER TABLE trims RENAME TO trims_v3");
    exec(kSchema);
    exec(R"sql(
INSERT OR REPLACE INTO meta VALUES('next_segment_id', (SELECT coalesce(max(id), 0) + 1 FROM segments));
INSERT INTO trims(key_id, segment, points, keep_from)
  SELECT key_id, (SELECT value FROM meta WHERE name = 'next_segment_id'), 0, keep_from
  FROM trims_v3;
DROP TABLE trims_v3;
)sql");
    log_info(
        "storage: {} migrated from schema version 3 to {}: its {} segments are kept at least "
        "one retention from now",
        path_, kSchemaVersion, segments);
}

sqlite3_stmt* Database::prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) fail("cannot prepare a statement", rc);
    statements_.push_back(s);
    return s;
}

std::size_t Database::load_points(Store& store, std::int64_t cutoff) {
    int rc;
    if (cutoff != INT64_MIN) {
        sqlite3_stmt* q = prepare("SELECT max(id) FROM segments WHERE accepted_s < ?");
        std::int64_t last = -1;
        {
            Reset reset{q};
            sqlite3_bind_int64(q, 1, cutoff);
            if ((rc = sqlite3_step(q)) != SQLITE_ROW) fail("cannot read the segments", rc);
            if (sqlite3_column_type(q, 0) != SQLITE_NULL) last = sqlite3_column_int64(q, 0);
        }
        if (last >= 0) drop_segments_through(last);
    }
    {
        sqlite3_stmt* q = prepare("SELECT value FROM meta WHERE name = 'next_key_id'");
        Reset reset{q};
        if (sqlite3_step(q) == SQLITE_ROW) store.reserve_ids(as_uint(sqlite3_column_int64(q, 0)));
    }
    // Each key's trims in the order they were made, each holding the largest keep_from of those
    // that cover at least what it covers.
    std::unordered_map<std::uint64_t, std::vector<TrimRow>> trims;
    {
        sqlite3_stmt* q = prepare(
            "SELECT key_id, segment, points, keep_from FROM trims ORDER BY key_id, segment, "
            "points");
        Reset reset{q};
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            trims[as_uint(sqlite3_column_int64(q, 0))].push_back({sqlite3_column_int64(q, 1),
                                                                  sqlite3_column_int64(q, 2),
                                                                  sqlite3_column_int64(q, 3)});
        }
        if (rc != SQLITE_DONE) fail("cannot read the stored trims", rc);
        for (auto& [key, rows] : trims) {
            for (std::size_t i = rows.size() - 1; i-- > 0;)
                rows[i].keep_from = std::max(rows[i].keep_from, rows[i + 1].keep_from);
        }
    }
    // Whether the point `index` of segment `segment` survived the trims made after it.
    auto kept = [&](const StoreJournal::PointRecord& p, std::int64_t segment, std::int64_t index) {
        const auto key = trims.find(p.key_id);
        if (key == trims.end()) return true;
        const auto& rows = key->second;
        const auto first = std::find_if(rows.begin(), rows.end(),
                                        [&](const TrimRow& t) { return t.covers(segment, index); });
        return first == rows.end() || p.timestamp >= first->keep_from;
    };
    // Calls f(PointRecord, accepted_s) for every point kept, in the order they were written.
    sqlite3_stmt* q = prepare("SELECT id, accepted_s, points FROM segments ORDER BY id");
    auto each_point = [&](auto&& f) {
        Reset reset{q};
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            const std::int64_t segment = sqlite3_column_int64(q, 0);
            const std::int64_t accepted_s = sqlite3_column_int64(q, 1);
            const auto* bytes = static_cast<const char*>(sqlite3_column_blob(q, 2));
            const auto size = static_cast<std::size_t>(sqlite3_column_bytes(q, 2));
            StoreJournal::PointRecord p;
            std::int64_t index = 0;
            for (std::size_t off = 0; off + sizeof p <= size; off += sizeof p, ++index) {
                std::memcpy(&p, bytes + off, sizeof p);
                if (kept(p, segment, index)) f(p, accepted_s);
            }
        }
        if (rc != SQLITE_DONE) fail("cannot read the stored points", rc);
    };
    // First pass: which keys have points to keep. The keys are then created in their
    // first-insertion order (their numbers), the points added in a second pass.
    std::unordered_map<std::uint64_t, Series*> by_id;
    each_point([&](const StoreJournal::PointRecord& p, std::int64_t) {
        by_id.emplace(p.key_id, nullptr);
    });
    {
        sqlite3_stmt* k = prepare("SELECT id, name FROM keys ORDER BY id");
        Reset reset{k};
        while ((rc = sqlite3_step(k)) == SQLITE_ROW) {
            const auto it = by_id.find(as_uint(sqlite3_column_int64(k, 0)));
            if (it == by_id.end()) continue;
            const auto* name = reinterpret_cast<const char*>(sqlite3_column_text(k, 1));
            const auto len = static_cast<std::size_t>(sqlite3_column_bytes(k, 1));
            it->second = &store.restore(it->first, std::string_view(name, len));
        }
        if (rc != SQLITE_DONE) fail("cannot read the stored keys", rc);
    }
    std::size_t n = 0;
    each_point([&](const StoreJournal::PointRecord& p, std::int64_t accepted_s) {
        const auto series = by_id.find(p.key_id);
        // A removed key: its row is gone from `keys`.
        if (series == by_id.end() || series->second == nullptr) return;
        store.restore_point(*series->second, p.timestamp, p.value, accepted_s);
        ++n;
    });
    return n;
}

std::vector<HostSnapshot> Database::load_hosts() {
    sqlite3_stmt* q = prepare("SELECT * FROM hosts");
    Reset reset{q};
    std::vector<HostSnapshot> hosts;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        HostSnapshot h;
        h.name.assign(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)),
                      static_cast<std::size_t>(sqlite3_column_bytes(q, 0)));
        if (sqlite3_column_bytes(q, 1) == static_cast<int>(SourceAddress::raw_size())) {
            alignas(SourceAddress) unsigned char raw[SourceAddress::raw_size()];
            std::memcpy(raw, sqlite3_column_blob(q, 1), sizeof raw);
            h.address = SourceAddress(reinterpret_cast<const sockaddr*>(raw));
        }
        h.incarnation = as_uint(sqlite3_column_int64(q, 2));
        h.sequence = as_uint(sqlite3_column_int64(q, 3));
        h.interval_ms = static_cast<std::uint32_t>(sqlite3_column_int64(q, 4));
        h.first_seen_unix_ms = sqlite3_column_int64(q, 5);
        h.last_seen_unix_ms = sqlite3_column_int64(q, 6);
        h.last_send_time_ms = sqlite3_column_int64(q, 7);
        h.beats = as_uint(sqlite3_column_int64(q, 8));
        h.lost = as_uint(sqlite3_column_int64(q, 9));
        h.restarts = as_uint(sqlite3_column_int64(q, 10));
        h.duplicates = as_uint(sqlite3_column_int64(q, 11));
        hosts.push_back(std::move(h));
    }
    if (rc != SQLITE_DONE) fail("cannot read the stored hosts", rc);
    return hosts;
}

void Database::write(const StorageBatch& batch) {
    // Runs one prepared statement to completion.
    auto step = [this](sqlite3_stmt* s) {
        Reset reset{s};
        const int rc = sqlite3_step(s);
        if (rc != SQLITE_DONE) fail("cannot write", rc);
    };
    exec("BEGIN");
    try {
        const StoreJournal& j = batch.journal;
        for (const auto& k : j.keys) {
            sqlite3_bind_int64(insert_key_, 1, as_int(k.id));
            sqlite3_bind_text(insert_key_, 2, k.name.data(), static_cast<int>(k.name.size()),
                              SQLITE_STATIC);
            step(insert_key_);
        }
        if (!j.keys.empty()) {
            // Numbers are never reused, even for keys removed before the next start.
            sqlite3_bind_int64(next_key_id_, 1, as_int(j.keys.back().id + 1));
            step(next_key_id_);
        }
        // The segment's number, and the one of the segment after it. The members change only
        // once the transaction has committed.
        const std::int64_t segment = next_segment_;
        std::int64_t next_segment = next_segment_;
        std::int64_t last_accepted_s = last_accepted_s_;
        if (!j.points.empty()) {
            last_accepted_s = std::max(batch.accepted_s, last_accepted_s_);
            next_segment = segment + 1;
            sqlite3_bind_int64(insert_segment_, 1, segment);
            sqlite3_bind_int64(insert_segment_, 2, last_accepted_s);
            sqlite3_bind_blob64(insert_segment_, 3, j.points.data(),
                                j.points.size() * sizeof(StoreJournal::PointRecord), SQLITE_STATIC);
            step(insert_segment_);
            sqlite3_bind_int64(next_segment_id_, 1, next_segment);
            step(next_segment_id_);
        }
        for (const auto& t : j.trims) {
            const auto points =
                static_cast<std::int64_t>(std::min(t.points_before, j.points.size()));
            for (sqlite3_stmt* s : {subsumed_trims_, trim_}) {
                sqlite3_bind_int64(s, 1, as_int(t.key_id));
                sqlite3_bind_int64(s, 2, segment);
                sqlite3_bind_int64(s, 3, points);
                sqlite3_bind_int64(s, 4, t.keep_from);
                step(s);
            }
        }
        for (const std::uint64_t id : j.removed) {
            sqlite3_bind_int64(delete_key_, 1, as_int(id));
            step(delete_key_);
            sqlite3_bind_int64(delete_trim_, 1, as_int(id));
            step(delete_trim_);
        }
        if (batch.retention_cutoff != INT64_MIN) drop_segments_before(batch.retention_cutoff);
        for (const HostSnapshot& h : batch.hosts) {
            sqlite3_stmt* s = upsert_host_;
            sqlite3_bind_text(s, 1, h.name.data(), static_cast<int>(h.name.size()), SQLITE_STATIC);
            sqlite3_bind_blob(s, 2, h.address.raw(), static_cast<int>(SourceAddress::raw_size()),
                              SQLITE_STATIC);
            sqlite3_bind_int64(s, 3, as_int(h.incarnation));
            sqlite3_bind_int64(s, 4, as_int(h.sequence));
            sqlite3_bind_int64(s, 5, h.interval_ms);
            sqlite3_bind_int64(s, 6, h.first_seen_unix_ms);
            sqlite3_bind_int64(s, 7, h.last_seen_unix_ms);
            sqlite3_bind_int64(s, 8, h.last_send_time_ms);
            sqlite3_bind_int64(s, 9, as_int(h.beats));
            sqlite3_bind_int64(s, 10, as_int(h.lost));
            sqlite3_bind_int64(s, 11, as_int(h.restarts));
            sqlite3_bind_int64(s, 12, as_int(h.duplicates));
            step(s);
        }
        for (const std::string& name : batch.forgotten) {
            sqlite3_bind_text(delete_host_, 1, name.data(), static_cast<int>(name.size()),
                              SQLITE_STATIC);
            step(delete_host_);
        }
        exec("COMMIT");
        next_segment_ = next_segment;
        last_accepted_s_ = last_accepted_s;
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

void Database::drop_segments_before(std::int64_t cutoff) {
    // Acceptance times grow with the segments' numbers: the expired ones come first.
    std::int64_t last = -1;
    {
        Reset reset{oldest_segments_};
        while (sqlite3_step(oldest_segments_) == SQLITE_ROW &&
               sqlite3_column_int64(oldest_segments_, 1) < cutoff) {
            last = sqlite3_column_int64(oldest_segments_, 0);
        }
    }
    if (last >= 0) drop_segments_through(last);
}

void Database::drop_segments_through(std::int64_t last) {
    for (sqlite3_stmt* s : {drop_segments_, drop_trims_}) {
        Reset reset{s};
        sqlite3_bind_int64(s, 1, last);
        if (const int rc = sqlite3_step(s); rc != SQLITE_DONE) fail("cannot drop old points", rc);
    }
}

}  // namespace beat
