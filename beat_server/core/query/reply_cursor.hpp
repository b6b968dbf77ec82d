// The reply to a get, written in slices: a large reply ("get *" on a big store, or "get KEY" of a
// key with many points) is produced a bounded slice at a time as the client takes it, instead of
// in one string, and the store may change between slices.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "beat_server/core/store/store.hpp"

namespace beat {

// Where the next slice of a get's reply starts: the number of the key being listed (keys are
// listed in first-insertion order, which is the order of their numbers) and the timestamp of the
// last point listed. Neither is a position in a container, so puts and the retention sweep may run
// between slices. What a reply lists when they do:
// - "get *" lists the keys that existed when the reply started; keys created after it are not
//   listed.
// - Each key's points are listed in timestamp order, each at most once, up to the newest point the
//   key held when its listing began. A point put meanwhile after the last one listed (and not after
//   that newest one) is listed; one put before it is not. Points the retention dropped before the
//   listing reached them are not listed.
// - A key removed while it is listed (by the retention) ends its listing where it was; one removed
//   before its turn is not listed.
// Nothing is listed twice, and the cursor holds no pointer into the store.
class ReplyCursor {
  public:
    // A reply that is already complete: done() is true and write() appends nothing.
    ReplyCursor() = default;

    // The reply to "get *" on `store`, which must outlive the cursor. Nothing is written yet.
    static ReplyCursor all(const Store& store);
    // The reply to "get `key`" on `store`, which must outlive the cursor: the key's points, none
    // when it does not exist. Nothing is written yet.
    static ReplyCursor one(const Store& store, std::string_view key);

    // Appends the next slice of the reply to `out`: "ok\n" first, then "<key> <value> <ts>\n" lines
    // and the empty line that ends the reply. Stops after the line that brings what it appended to
    // `budget` bytes or more (so a slice is at most `budget` plus one line, and every call appends
    // at least one line), or at the end of the reply. Returns true once the reply is complete, and
    // from then on appends nothing.
    bool write(std::string& out, std::size_t budget);
    bool done() const noexcept { return store_ == nullptr; }

  private:
    ReplyCursor(const Store& store, std::uint64_t first_id, std::uint64_t end_id) noexcept
        : store_(&store), key_id_(first_id), end_id_(end_id) {}

    // Appends the points of `key` (series `s`, which the cursor is listing) that remain; false
    // when it stopped because `out` reached `limit` bytes.
    bool write_points(std::string_view key, const Series& s, std::string& out, std::size_t limit);

    const Store* store_ = nullptr;  // Null once the reply is complete.
    bool started_ = false;          // "ok\n" was written.
    // The key being listed, or the first key to list next: the first with a number >= key_id_.
    std::uint64_t key_id_ = 0;
    std::uint64_t end_id_ = 0;  // Keys numbered end_id_ or above are not listed.
    bool in_key_ = false;       // Listing key_id_ began: the fields below hold.
    bool listed_any_ = false;   // A point of key_id_ was listed, the last at last_ts_.
    std::int64_t last_ts_ = 0;
    std::int64_t until_ts_ = 0;  // The newest point key_id_ held when its listing began.
};

}  // namespace beat
