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
    // Points older than this may be deleted from the disk (INT64_MIN: none).
    std::int64_t retention_cutoff = INT64_MIN;

    bool empty() const noexcept { return journal.empty() && hosts.empty() && forgotten.empty(); }
    // Empties the batch, keeping the vectors' capacity.
    void clear() noexcept {
        journal.clear();
        hosts.clear();
        forgotten.clear();
    }
};

class Database {
  public:
    // Opens (creating when missing) `dir`/beat.db in WAL mode, locked for this process alone.
    // `sync`: every commit reaches the disk before it returns (synchronous=FULL); otherwise a
    // commit survives a crash of the process but not necessarily of the machine.
    // Throws StorageError with a message naming the file and the cause when the directory cannot
    // be created, the file cannot be opened for writing, is not a beat database, is corrupt, or
    // is in use by another process.
    Database(const std::string& dir, bool sync);
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    const std::string& path() const noexcept { return path_; }

    // Reads every key and its points with a timestamp at or after `min_timestamp` (and not
    // trimmed) into `store`: keys in their first-insertion order, keeping their numbers, the
    // latest value written for a (key, timestamp). Returns the rows read.
    std::size_t load_points(Store& store, std::int64_t min_timestamp);
    // Reads every host kept.
    std::vector<HostSnapshot> load_hosts();

    // Applies `batch` in one transaction: new keys, points (one segment), trims, removed keys,
    // hosts, and drops the segments older than its retention cutoff. On failure rolls back and
    // throws StorageError; the batch can be written again.
    void write(const StorageBatch& batch);

  private:
    sqlite3_stmt* prepare(const char* sql);
    void exec(const char* sql);
    [[noreturn]] void fail(const std::string& what, int rc);
    // Deletes the oldest segments whose points are all older than `cutoff`.
    void drop_segments_before(std::int64_t cutoff);

    std::string path_;
    sqlite3* db_ = nullptr;
    std::vector<sqlite3_stmt*> statements_;  // Finalized in the destructor.
    sqlite3_stmt* insert_key_ = nullptr;
    sqlite3_stmt* next_key_id_ = nullptr;
    sqlite3_stmt* insert_segment_ = nullptr;
    sqlite3_stmt* trim_ = nullptr;
    sqlite3_stmt* delete_trim_ = nullptr;
    sqlite3_stmt* delete_key_ = nullptr;
    sqlite3_stmt* oldest_segments_ = nullptr;
    sqlite3_stmt* drop_segments_ = nullptr;
    sqlite3_stmt* upsert_host_ = nullptr;
    sqlite3_stmt* delete_host_ = nullptr;
};

}  // namespace beat
