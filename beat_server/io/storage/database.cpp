#include "beat_server/io/storage/database.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <type_traits>
#include <unordered_map>

namespace beat {
namespace {

constexpr int kSchemaVersion = 3;

static_assert(sizeof(StoreJournal::PointRecord) == 24 &&
              std::is_trivially_copyable_v<StoreJournal::PointRecord>);

// Each batch's points are appended as one row: a blob of StoreJournal::PointRecord in the
// machine's byte order, the cheapest write SQLite has (a memcpy per point). A replaced value is
// a later record for the same (key, ts), and loading lets the later one win. What the retention
// drops is recorded instead of searched for: a removed key's row goes from `keys` (its points are
// skipped), a trimmed key's cut-off goes to `trims`, and whole segments whose newest point is
// older than the retention are deleted.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS keys(id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS segments(id INTEGER PRIMARY KEY, max_ts INTEGER NOT NULL,
                                    points BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS trims(key_id INTEGER PRIMARY KEY, keep_from INTEGER NOT NULL);
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

}  // namespace

Database::Database(const std::string& dir, bool sync) {
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
    exec(kSchema);
    sqlite3_stmt* version = prepare("SELECT value FROM meta WHERE name='schema'");
    int found = 0;
    if (sqlite3_step(version) == SQLITE_ROW) found = sqlite3_column_int(version, 0);
    sqlite3_reset(version);
    if (found != 0 && found != kSchemaVersion) {
        exec("ROLLBACK");
        throw StorageError(path_ + " has schema version " + std::to_string(found) + ", expected " +
                               std::to_string(kSchemaVersion),
                           SQLITE_MISMATCH);
    }
    exec(("INSERT OR REPLACE INTO meta VALUES('schema', " + std::to_string(kSchemaVersion) +
          "), ('opened_unix_s', strftime('%s','now'))")
             .c_str());
    exec("COMMIT");

    insert_key_ = prepare("INSERT OR REPLACE INTO keys(id, name) VALUES(?, ?)");
    next_key_id_ = prepare("INSERT OR REPLACE INTO meta VALUES('next_key_id', ?)");
    insert_segment_ = prepare("INSERT INTO segments(max_ts, points) VALUES(?, ?)");
    trim_ = prepare("INSERT OR REPLACE INTO trims VALUES(?, ?)");
    delete_trim_ = prepare("DELETE FROM trims WHERE key_id = ?");
    delete_key_ = prepare("DELETE FROM keys WHERE id = ?");
    oldest_segments_ = prepare("SELECT id, max_ts FROM segments ORDER BY id LIMIT 64");
    drop_segments_ = prepare("DELETE FROM segments WHERE id <= ?");
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

sqlite3_stmt* Database::prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) fail("cannot prepare a statement", rc);
    statements_.push_back(s);
    return s;
}

std::size_t Database::load_points(Store& store, std::int64_t min_timestamp) {
    std::unordered_map<std::uint64_t, Series*> by_id;
    std::unordered_map<std::uint64_t, std::int64_t> keep_from;
    int rc;
    {
        sqlite3_stmt* q = prepare("SELECT value FROM meta WHERE name = 'next_key_id'");
        Reset reset{q};
        if (sqlite3_step(q) == SQLITE_ROW) store.reserve_ids(as_uint(sqlite3_column_int64(q, 0)));
    }
    {
        sqlite3_stmt* q = prepare("SELECT key_id, keep_from FROM trims");
        Reset reset{q};
        while ((rc = sqlite3_step(q)) == SQLITE_ROW)
            keep_from[as_uint(sqlite3_column_int64(q, 0))] = sqlite3_column_int64(q, 1);
        if (rc != SQLITE_DONE) fail("cannot read the stored trims", rc);
    }
    auto kept = [&](const StoreJournal::PointRecord& p) {
        if (p.timestamp < min_timestamp) return false;
        const auto trim = keep_from.find(p.key_id);
        return trim == keep_from.end() || p.timestamp >= trim->second;
    };
    // Calls f(PointRecord) for every point of the segments that may hold some to keep.
    sqlite3_stmt* q = prepare("SELECT points FROM segments WHERE max_ts >= ? ORDER BY id");
    auto each_point = [&](auto&& f) {
        Reset reset{q};
        sqlite3_bind_int64(q, 1, min_timestamp);
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            const auto* bytes = static_cast<const char*>(sqlite3_column_blob(q, 0));
            const auto size = static_cast<std::size_t>(sqlite3_column_bytes(q, 0));
            StoreJournal::PointRecord p;
            for (std::size_t off = 0; off + sizeof p <= size; off += sizeof p) {
                std::memcpy(&p, bytes + off, sizeof p);
                f(p);
            }
        }
        if (rc != SQLITE_DONE) fail("cannot read the stored points", rc);
    };
    // First pass: which keys have points to keep. The keys are then created in their
    // first-insertion order (their numbers), the points added in a second pass.
    each_point([&](const StoreJournal::PointRecord& p) {
        if (kept(p)) by_id.emplace(p.key_id, nullptr);
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
    each_point([&](const StoreJournal::PointRecord& p) {
        const auto series = by_id.find(p.key_id);
        // A removed key (its row is gone from `keys`) or a trimmed point.
        if (series == by_id.end() || series->second == nullptr || !kept(p)) return;
        store.restore_point(*series->second, p.timestamp, p.value);
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
        if (!j.points.empty()) {
            std::int64_t max_ts = INT64_MIN;
            for (const auto& p : j.points)
                max_ts = std::max(max_ts, p.timestamp);
            sqlite3_bind_int64(insert_segment_, 1, max_ts);
            sqlite3_bind_blob64(insert_segment_, 2, j.points.data(),
                                j.points.size() * sizeof(StoreJournal::PointRecord), SQLITE_STATIC);
            step(insert_segment_);
        }
        for (const auto& t : j.trims) {
            sqlite3_bind_int64(trim_, 1, as_int(t.key_id));
            sqlite3_bind_int64(trim_, 2, t.keep_from);
            step(trim_);
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
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

void Database::drop_segments_before(std::int64_t cutoff) {
    // The oldest segments whose every point is older than the cutoff, in commit order.
    std::int64_t last = -1;
    {
        Reset reset{oldest_segments_};
        while (sqlite3_step(oldest_segments_) == SQLITE_ROW &&
               sqlite3_column_int64(oldest_segments_, 1) < cutoff) {
            last = sqlite3_column_int64(oldest_segments_, 0);
        }
    }
    if (last < 0) return;
    Reset reset{drop_segments_};
    sqlite3_bind_int64(drop_segments_, 1, last);
    if (const int rc = sqlite3_step(drop_segments_); rc != SQLITE_DONE) {
        fail("cannot drop old points", rc);
    }
}

}  // namespace beat
