// The SQLite database in --data-dir: the stored points and the host registry, kept across
// restarts. One connection, used by one thread at a time (the loop thread while loading at start,
// then only the storage writer's thread).
#pragma once

#include <climits>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "beat_server/core/ingest/host_snapshot.hpp"
#include "beat_server/core/store/disk_trims.hpp"
#include "beat_server/core/store/store.hpp"
#include "beat_server/core/store/store_journal.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace beat {

// A database failure, with SQLite's result code (SQLITE_FULL for a full disk, ...).
class StorageError : public std::runtime_error {
  public:
    StorageError(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
    int code() const noexcept { return code_; }

  private:
    int code_;
};

// One transaction's worth of changes for the database.
struct StorageBatch {
    StoreJournal journal;
    std::vector<HostSnapshot> hosts;     // Hosts to record (insert or replace).
    std::vector<std::string> forgotten;  // Hosts to delete.
    std::uint64_t generation = 0;        // Set by the writer: the batch's number.
    // When the batch was handed to the writer, Unix seconds: the acceptance time of its points on
    // disk (none of them was accepted later).
    std::int64_t accepted_s = 0;
    // Segments accepted before this are deleted from the disk (INT64_MIN: none).
    std::int64_t retention_cutoff = INT64_MIN;

    bool empty() const noexcept { return journal.empty() && hosts.empty() && forgotten.empty(); }
    // Empties the batch, keeping the vectors' capacity.
    void clear() noexcept {
        journal.clear();
        hosts.clear();
        forgotten.clear();
    }
};

// When the storage writer compacts segments into chunks (Database::compact).
struct CompactionPolicy {
    // Due when the oldest segment not yet compacted was accepted this long ago (at a beat every
    // 5 s, 10 minutes make chunks of about 120 points a key)...
    std::int64_t min_age_s = 600;
    // ...or when the segments hold more points than this.
    std::size_t max_points = 1'000'000;
    // A step compacts the oldest segments holding at most this many points (at least one
    // segment), which bounds the time the writer spends on it before the next batch.
    std::size_t step_points = 1'000'000;
    bool enabled = true;
};

// What one compaction step did.
struct CompactionResult {
    std::size_t segments = 0;  // Segments compacted (and deleted).
    std::size_t points = 0;    // Their points, as written.
    std::size_t chunks = 0;    // Chunk rows written.
    std::size_t kept = 0;      // Points in those chunks.
    std::size_t bytes = 0;     // Bytes of those chunks.
};

class Database {
  public:
    // Opens (creating when missing) `dir`/beat.db in WAL mode, locked for this process alone.
    // `sync`: every commit reaches the disk before it returns (synchronous=FULL); otherwise a
    // commit survives a crash of the process but not necessarily of the machine.
    // A database of schema version 3, which kept no acceptance time, is migrated: its points get
    // `now_unix_s` as theirs, so each is kept at least one retention from now. One of version 4,
    // which had no chunks, is migrated by adding their table: its segments are compacted later.
    // Throws StorageError with a message naming the file and the cause when the directory cannot
    // be created, the file cannot be opened for writing, is not a beat database, is corrupt, or
    // is in use by another process.
    Database(const std::string& dir, bool sync, std::int64_t now_unix_s);
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    const std::string& path() const noexcept { return path_; }

    // Deletes the segments and chunks accepted before `cutoff` (INT64_MIN: none), then reads every
    // key and the points of the chunks and segments left (but those a later trim covers) into
    // `store`, each with its chunk's or segment's acceptance time: keys in their first-insertion
    // order, keeping their numbers, the latest value written for a (key, timestamp), a chunk
    // counting as written with the last segment it was compacted from. Returns the points read.
    std::size_t load_points(Store& store, std::int64_t cutoff);
    // Reads every host kept, with its transitions.
    std::vector<HostSnapshot> load_hosts();

    // Applies `batch` in one transaction: new keys, points (one segment, accepted at
    // batch.accepted_s or at the previous segment's time if the clock went back), trims, removed
    // keys, hosts (the transitions of those that carry some replace the stored ones; forgotten
    // hosts lose theirs), and deletes up to 64 of the oldest segments and up to 1,024 chunks
    // accepted before batch.retention_cutoff. On failure rolls back and throws StorageError; the
    // batch can be written again.
    void write(const StorageBatch& batch);

    // Compaction: the segments' points are regrouped key by key into compressed chunks, a few
    // bytes a point where a segment takes 24, so the file stays small and loads what it keeps.
    void set_compaction(const CompactionPolicy& policy) noexcept { compaction_ = policy; }
    // Whether the policy asks for a compaction step at `now_unix_s`.
    bool compaction_due(std::int64_t now_unix_s) const noexcept;
    // In one transaction, replaces the oldest segments (see CompactionPolicy::step_points) by one
    // chunk row per key holding what load_points() would read from them (the trims and removed
    // keys applied, the last write of a (key, timestamp) winning), which counts as written with
    // the last of those segments and accepted when the newest of the key's points in them was.
    // A crash leaves either the segments or the chunks. On failure rolls back and throws
    // StorageError.
    CompactionResult compact();

  private:
    Database() = default;
    // The constructor's work: opens the file, checks or migrates its schema, prepares statements.
    void open(const std::string& dir, bool sync, std::int64_t now_unix_s);
    sqlite3_stmt* prepare(const char* sql);
    void exec(const char* sql);
    [[noreturn]] void fail(const std::string& what, int rc);
    // Rewrites a database of schema version 3 as the current version (see the constructor).
    void migrate_from_v3(std::int64_t now_unix_s);
    // Adds the stored transitions of each of `hosts` to it (the rows of host_transitions).
    void load_transitions(std::vector<HostSnapshot>& hosts);
    // Replaces the stored transitions of `host` with its own.
    void write_transitions(const HostSnapshot& host);
    // Deletes up to 64 of the oldest segments accepted before `cutoff`.
    void drop_segments_before(std::int64_t cutoff);
    // Deletes the segments numbered up to `last` and the trims that covered only them.
    void drop_segments_through(std::int64_t last);
    // Creates the chunks' table (schema version 5) and prepares the statements on it.
    void open_chunks();
    // Deletes up to `limit` chunks accepted before `cutoff`, then the trims that covered only
    // them.
    void drop_chunks_before(std::int64_t cutoff, std::int64_t limit);
    // Deletes the trims that cover no segment and no chunk any more.
    void drop_useless_trims();
    // Reads how many points the segments hold and when the oldest was accepted (the counters
    // that time the compaction).
    void count_uncompacted();
    // The trims kept, ready to filter points.
    DiskTrims read_trims();

    std::string path_;
    sqlite3* db_ = nullptr;
    std::vector<sqlite3_stmt*> statements_;  // Finalized in the destructor.
    sqlite3_stmt* insert_key_ = nullptr;
    sqlite3_stmt* next_key_id_ = nullptr;
    sqlite3_stmt* insert_segment_ = nullptr;
    sqlite3_stmt* next_segment_id_ = nullptr;
    sqlite3_stmt* trim_ = nullptr;
    sqlite3_stmt* subsumed_trims_ = nullptr;
    sqlite3_stmt* delete_trim_ = nullptr;
    sqlite3_stmt* delete_key_ = nullptr;
    sqlite3_stmt* oldest_segments_ = nullptr;
    sqlite3_stmt* drop_segments_ = nullptr;
    sqlite3_stmt* insert_chunk_ = nullptr;
    sqlite3_stmt* expired_chunks_ = nullptr;
    sqlite3_stmt* useless_trims_ = nullptr;
    sqlite3_stmt* key_exists_ = nullptr;
    sqlite3_stmt* count_segments_ = nullptr;
    sqlite3_stmt* compact_segments_ = nullptr;
    sqlite3_stmt* read_trims_ = nullptr;
    sqlite3_stmt* upsert_host_ = nullptr;
    sqlite3_stmt* delete_host_ = nullptr;
    sqlite3_stmt* upsert_transitions_ = nullptr;
    sqlite3_stmt* delete_transitions_ = nullptr;
    // The number of the next segment (never reused, so a trim cannot cover a later segment) and
    // the acceptance time of the last one (segments are accepted in the order of their numbers).
    std::int64_t next_segment_ = 1;
    std::int64_t last_accepted_s_ = INT64_MIN;
    CompactionPolicy compaction_;
    // The points the segments hold, and the acceptance time of the oldest (INT64_MAX: none).
    std::size_t uncompacted_points_ = 0;
    std::int64_t oldest_uncompacted_s_ = INT64_MAX;
    bool segments_dropped_ = false;  // By the transaction under way: count them again after it.
};

}  // namespace beat
