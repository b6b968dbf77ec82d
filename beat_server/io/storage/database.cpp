#include "beat_server/io/storage/database.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <filesystem>
#include <span>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "beat_server/core/store/chunk_codec.hpp"
#include "beat_server/core/store/chunk_compactor.hpp"
#include "common/log.hpp"

namespace beat {
namespace {

constexpr int kSchemaVersion = 5;

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
// written after it. A trim that another of the same key covers entirely is deleted, and so is one
// that covers no segment or chunk left (see kChunkSchema).
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

// Since version 5, the storage writer compacts the oldest segments from time to time (a step in one
// transaction, Database::compact): their points, less what the trims and removed keys drop, are
// regrouped key by key, the last write of a (key, timestamp) winning, into one compressed chunk
// (chunk_codec.hpp) per key, a row of `chunks` holding the number of the last segment compacted
// into it and the newest acceptance time of its points; the segments are deleted. A chunk counts
// as written at the end of that last segment: a later trim covers it whole, and since segments are
// compacted oldest first, every chunk is older than every segment left. Chunks are numbered in the
// order they were written; their last segments never decrease with the number. The retention
// deletes a chunk once its acceptance time is older than the retention.
constexpr const char* kChunkSchema = R"sql(
CREATE TABLE IF NOT EXISTS chunks(id INTEGER PRIMARY KEY, key_id INTEGER NOT NULL,
                                  last_segment INTEGER NOT NULL, accepted_s INTEGER NOT NULL,
                                  points BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_acceptance ON chunks(accepted_s);
)sql";
// Each host's transitions (HostSnapshot::transitions) as one blob of kTransitionBytes records,
// oldest first: at and heard (Unix ms, int64 in the machine's byte order, as segments are) and
// the kind's number. Written only when they changed, and removed with the host.
constexpr const char* kTransitionsSchema = R"sql(
CREATE TABLE IF NOT EXISTS host_transitions(name TEXT PRIMARY KEY, ring BLOB NOT NULL)
  WITHOUT ROWID;
)sql";
constexpr std::size_t kTransitionBytes = 2 * sizeof(std::int64_t) + 1;

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
    } else if (found == 4) {
        log_info(
            "storage: {} migrated from schema version 4 to {}: its segments are compacted "
            "into chunks as the server runs",
            path_, kSchemaVersion);
    } else if (found != 0 && found != kSchemaVersion) {
        exec("ROLLBACK");
        throw StorageError(path_ + " has schema version " + std::to_string(found) + ", expected " +
                               std::to_string(kSchemaVersion),
                           SQLITE_MISMATCH);
    }
    exec(kSchema);
    exec(kChunkSchema);
    exec(kTransitionsSchema);
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
    upsert_host_ = prepare("INSERT OR REPLACE INTO hosts VALUES(?,?,?,?,?,?,?,?,?,?,?,?)");
    delete_host_ = prepare("DELETE FROM hosts WHERE name = ?");
    upsert_transitions_ = prepare("INSERT OR REPLACE INTO host_transitions VALUES(?, ?)");
    delete_transitions_ = prepare("DELETE FROM host_transitions WHERE name = ?");
    open_chunks();
}

void Database::open_chunks() {
    insert_chunk_ =
        prepare("INSERT INTO chunks(key_id, last_segment, accepted_s, points) VALUES(?, ?, ?, ?)");
    expired_chunks_ = prepare(
        "DELETE FROM chunks WHERE id IN (SELECT id FROM chunks WHERE accepted_s < ?1 LIMIT ?2)");
    // A trim covers the segments numbered up to its own and the chunks whose last segment is
    // below it.
    useless_trims_ = prepare(
        "DELETE FROM trims WHERE segment <= min("
        "coalesce((SELECT last_segment FROM chunks ORDER BY id LIMIT 1), 9223372036854775807), "
        "coalesce((SELECT min(id) FROM segments) - 1, 9223372036854775807))");
    key_exists_ = prepare("SELECT 1 FROM keys WHERE id = ?");
    read_trims_ = prepare(
        "SELECT key_id, segment, points, keep_from FROM trims ORDER BY key_id, segment, points");
    count_segments_ = prepare(
        "SELECT coalesce(sum(length(points)), 0), "
        "(SELECT accepted_s FROM segments ORDER BY id LIMIT 1) FROM segments");
    compact_segments_ = prepare("SELECT id, accepted_s, points FROM segments ORDER BY id");
    {
        // Acceptance times never go back, even when every segment was compacted.
        sqlite3_stmt* q = prepare("SELECT max(accepted_s) FROM chunks");
        Reset reset{q};
        if (sqlite3_step(q) != SQLITE_ROW) fail("cannot read the chunks", sqlite3_errcode(db_));
        if (sqlite3_column_type(q, 0) != SQLITE_NULL)
            last_accepted_s_ = std::max<std::int64_t>(last_accepted_s_, sqlite3_column_int64(q, 0));
    }
    count_uncompacted();
}

void Database::count_uncompacted() {
    Reset reset{count_segments_};
    if (const int rc = sqlite3_step(count_segments_); rc != SQLITE_ROW)
        fail("cannot read the segments", rc);
    uncompacted_points_ = static_cast<std::size_t>(sqlite3_column_int64(count_segments_, 0)) /
                          sizeof(StoreJournal::PointRecord);
    oldest_uncompacted_s_ = sqlite3_column_type(count_segments_, 1) == SQLITE_NULL
                                ? INT64_MAX
                                : sqlite3_column_int64(count_segments_, 1);
}

DiskTrims Database::read_trims() {
    DiskTrims trims;
    sqlite3_stmt* q = read_trims_;
    Reset reset{q};
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        trims.add(as_uint(sqlite3_column_int64(q, 0)), sqlite3_column_int64(q, 1),
                  sqlite3_column_int64(q, 2), sqlite3_column_int64(q, 3));
    }
    if (rc != SQLITE_DONE) fail("cannot read the stored trims", rc);
    trims.seal();
    return trims;
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
        drop_chunks_before(cutoff, -1);
        count_uncompacted();
    }
    {
        sqlite3_stmt* q = prepare("SELECT value FROM meta WHERE name = 'next_key_id'");
        Reset reset{q};
        if (sqlite3_step(q) == SQLITE_ROW) store.reserve_ids(as_uint(sqlite3_column_int64(q, 0)));
    }
    const DiskTrims trims = read_trims();
    // Calls f(key_id, timestamp, value, accepted_s) for every point kept, in the order they were
    // written: the chunks, then the segments. With `any_of_chunk`, only one call per chunk when no
    // trim covers it, its point (0, 0): enough to learn that its key has points.
    sqlite3_stmt* chunks =
        prepare("SELECT key_id, last_segment, accepted_s, points FROM chunks ORDER BY id");
    sqlite3_stmt* q = prepare("SELECT id, accepted_s, points FROM segments ORDER BY id");
    auto each_point = [&](auto&& f, bool any_of_chunk) {
        {
            Reset reset{chunks};
            while ((rc = sqlite3_step(chunks)) == SQLITE_ROW) {
                const std::uint64_t key = as_uint(sqlite3_column_int64(chunks, 0));
                const std::int64_t segment = sqlite3_column_int64(chunks, 1);
                const std::int64_t accepted_s = sqlite3_column_int64(chunks, 2);
                if (any_of_chunk && !trims.covered(key, segment, DiskTrims::kChunk)) {
                    f(key, 0, 0.0, accepted_s);
                    continue;
                }
                ChunkReader reader(
                    std::span(static_cast<const std::uint8_t*>(sqlite3_column_blob(chunks, 3)),
                              static_cast<std::size_t>(sqlite3_column_bytes(chunks, 3))));
                Point p;
                while (reader.next(p)) {
                    if (trims.kept(key, p.timestamp, segment, DiskTrims::kChunk))
                        f(key, p.timestamp, p.value, accepted_s);
                }
                if (reader.error() != ChunkError::ok) {
                    fail(
                        "a stored chunk does not decode: " + std::string(to_string(reader.error())),
                        SQLITE_CORRUPT);
                }
            }
            if (rc != SQLITE_DONE) fail("cannot read the stored chunks", rc);
        }
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
                if (trims.kept(p.key_id, p.timestamp, segment, index))
                    f(p.key_id, p.timestamp, p.value, accepted_s);
            }
        }
        if (rc != SQLITE_DONE) fail("cannot read the stored points", rc);
    };
    // First pass: which keys have points to keep. The keys are then created in their
    // first-insertion order (their numbers), the points added in a second pass.
    std::unordered_map<std::uint64_t, Series*> by_id;
    each_point(
        [&](std::uint64_t key, std::int64_t, double, std::int64_t) { by_id.emplace(key, nullptr); },
        true);
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
    each_point(
        [&](std::uint64_t key, std::int64_t timestamp, double value, std::int64_t accepted_s) {
            const auto series = by_id.find(key);
            // A removed key: its row is gone from `keys`.
            if (series == by_id.end() || series->second == nullptr) return;
            store.restore_point(*series->second, timestamp, value, accepted_s);
            ++n;
        },
        false);
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
    load_transitions(hosts);
    return hosts;
}

void Database::load_transitions(std::vector<HostSnapshot>& hosts) {
    std::unordered_map<std::string_view, HostSnapshot*> by_name;
    for (HostSnapshot& h : hosts)
        by_name.emplace(h.name, &h);
    sqlite3_stmt* q = prepare("SELECT name, ring FROM host_transitions");
    Reset reset{q};
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const std::string_view name(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)),
                                    static_cast<std::size_t>(sqlite3_column_bytes(q, 0)));
        const auto host = by_name.find(name);
        if (host == by_name.end()) continue;
        const auto* ring = static_cast<const unsigned char*>(sqlite3_column_blob(q, 1));
        const auto bytes = static_cast<std::size_t>(sqlite3_column_bytes(q, 1));
        std::vector<Transition>& out = host->second->transitions;
        for (std::size_t at = 0; at + kTransitionBytes <= bytes; at += kTransitionBytes) {
            Transition t;
            std::memcpy(&t.at_ms, ring + at, sizeof t.at_ms);
            std::memcpy(&t.heard_ms, ring + at + sizeof t.at_ms, sizeof t.heard_ms);
            const unsigned char kind = ring[at + 2 * sizeof(std::int64_t)];
            // A kind this version does not know is skipped, not guessed.
            if (kind > static_cast<unsigned char>(TransitionKind::settled_silent)) continue;
            t.kind = static_cast<TransitionKind>(kind);
            out.push_back(t);
        }
    }
    if (rc != SQLITE_DONE) fail("cannot read the stored transitions", rc);
}

void Database::write_transitions(const HostSnapshot& host) {
    std::vector<unsigned char> ring(host.transitions.size() * kTransitionBytes);
    unsigned char* at = ring.data();
    for (const Transition& t : host.transitions) {
        std::memcpy(at, &t.at_ms, sizeof t.at_ms);
        std::memcpy(at + sizeof t.at_ms, &t.heard_ms, sizeof t.heard_ms);
        at[2 * sizeof(std::int64_t)] = static_cast<unsigned char>(t.kind);
        at += kTransitionBytes;
    }
    Reset reset{upsert_transitions_};
    sqlite3_bind_text(upsert_transitions_, 1, host.name.data(), static_cast<int>(host.name.size()),
                      SQLITE_STATIC);
    sqlite3_bind_blob(upsert_transitions_, 2, ring.data(), static_cast<int>(ring.size()),
                      SQLITE_STATIC);
    if (const int rc = sqlite3_step(upsert_transitions_); rc != SQLITE_DONE)
        fail("cannot write the transitions", rc);
}

void Database::write(const StorageBatch& batch) {
    // Runs one prepared statement to completion.
    auto step = [this](sqlite3_stmt* s) {
        Reset reset{s};
        const int rc = sqlite3_step(s);
        if (rc != SQLITE_DONE) fail("cannot write", rc);
    };
    exec("BEGIN");
    segments_dropped_ = false;
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
        if (batch.retention_cutoff != INT64_MIN) {
            drop_segments_before(batch.retention_cutoff);
            drop_chunks_before(batch.retention_cutoff, 1024);
        }
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
            if (!h.transitions.empty()) write_transitions(h);
        }
        for (const std::string& name : batch.forgotten) {
            sqlite3_bind_text(delete_host_, 1, name.data(), static_cast<int>(name.size()),
                              SQLITE_STATIC);
            step(delete_host_);
            sqlite3_bind_text(delete_transitions_, 1, name.data(), static_cast<int>(name.size()),
                              SQLITE_STATIC);
            step(delete_transitions_);
        }
        exec("COMMIT");
        next_segment_ = next_segment;
        last_accepted_s_ = last_accepted_s;
        if (segments_dropped_) {
            count_uncompacted();
        } else if (!j.points.empty()) {
            uncompacted_points_ += j.points.size();
            oldest_uncompacted_s_ = std::min(oldest_uncompacted_s_, last_accepted_s);
        }
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
    {
        Reset reset{drop_segments_};
        sqlite3_bind_int64(drop_segments_, 1, last);
        if (const int rc = sqlite3_step(drop_segments_); rc != SQLITE_DONE)
            fail("cannot drop old points", rc);
    }
    drop_useless_trims();
    segments_dropped_ = true;
}

void Database::drop_chunks_before(std::int64_t cutoff, std::int64_t limit) {
    {
        Reset reset{expired_chunks_};
        sqlite3_bind_int64(expired_chunks_, 1, cutoff);
        sqlite3_bind_int64(expired_chunks_, 2, limit);
        if (const int rc = sqlite3_step(expired_chunks_); rc != SQLITE_DONE)
            fail("cannot drop old chunks", rc);
    }
    if (sqlite3_changes64(db_) > 0) drop_useless_trims();
}

void Database::drop_useless_trims() {
    Reset reset{useless_trims_};
    if (const int rc = sqlite3_step(useless_trims_); rc != SQLITE_DONE)
        fail("cannot drop old trims", rc);
}

bool Database::compaction_due(std::int64_t now_unix_s) const noexcept {
    if (!compaction_.enabled || uncompacted_points_ == 0) return false;
    return uncompacted_points_ > compaction_.max_points ||
           oldest_uncompacted_s_ <= now_unix_s - compaction_.min_age_s;
}

CompactionResult Database::compact() {
    CompactionResult r;
    exec("BEGIN");
    try {
        const DiskTrims trims = read_trims();
        ChunkCompactor compactor;
        std::int64_t last = -1;
        {
            sqlite3_stmt* q = compact_segments_;
            Reset reset{q};
            int rc;
            while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
                const auto size = static_cast<std::size_t>(sqlite3_column_bytes(q, 2));
                const std::size_t n = size / sizeof(StoreJournal::PointRecord);
                if (r.segments > 0 && r.points + n > compaction_.step_points) break;
                const std::int64_t segment = sqlite3_column_int64(q, 0);
                const std::int64_t accepted_s = sqlite3_column_int64(q, 1);
                const auto* bytes = static_cast<const char*>(sqlite3_column_blob(q, 2));
                StoreJournal::PointRecord p;
                for (std::size_t i = 0; i < n; ++i) {
                    std::memcpy(&p, bytes + i * sizeof p, sizeof p);
                    if (trims.kept(p.key_id, p.timestamp, segment, static_cast<std::int64_t>(i)))
                        compactor.add(p.key_id, p.timestamp, p.value, accepted_s);
                }
                r.points += n;
                ++r.segments;
                last = segment;
            }
            if (rc != SQLITE_ROW && rc != SQLITE_DONE) fail("cannot read the segments", rc);
        }
        for (const ChunkCompactor::KeyChunk& c : compactor.take()) {
            {
                // A removed key's points go with it.
                Reset reset{key_exists_};
                sqlite3_bind_int64(key_exists_, 1, as_int(c.key_id));
                const int rc = sqlite3_step(key_exists_);
                if (rc == SQLITE_DONE) continue;
                if (rc != SQLITE_ROW) fail("cannot read the keys", rc);
            }
            Reset reset{insert_chunk_};
            sqlite3_bind_int64(insert_chunk_, 1, as_int(c.key_id));
            sqlite3_bind_int64(insert_chunk_, 2, last);
            sqlite3_bind_int64(insert_chunk_, 3, c.accepted_s);
            sqlite3_bind_blob64(insert_chunk_, 4, c.bytes.data(), c.bytes.size(), SQLITE_STATIC);
            if (const int rc = sqlite3_step(insert_chunk_); rc != SQLITE_DONE)
                fail("cannot write a chunk", rc);
            ++r.chunks;
            r.kept += c.points;
            r.bytes += c.bytes.size();
        }
        if (last >= 0) drop_segments_through(last);
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
    count_uncompacted();
    return r;
}

}  // namespace beat
