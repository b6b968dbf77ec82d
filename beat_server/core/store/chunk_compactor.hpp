// Compaction of the database's segments: the points of consecutive segments (records in the order
// they were written, across every key) regrouped key by key into compressed chunks
// (chunk_codec.hpp), which take a few bytes a point where a segment's record takes 24. Pure: the
// caller reads the segments, filters what the trims and removed keys drop, and writes the chunks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "beat_server/core/store/point.hpp"

namespace beat {

class ChunkCompactor {
  public:
    // One compressed chunk of a key.
    struct KeyChunk {
        std::uint64_t key_id;
        std::int64_t accepted_s;  // The newest acceptance time of the key's points added.
        std::size_t points;
        std::vector<std::uint8_t> bytes;
    };

    // Adds a point written after every point added before it, accepted at `accepted_s`.
    void add(std::uint64_t key_id, std::int64_t timestamp, double value, std::int64_t accepted_s);
    // The points added so far.
    std::size_t size() const noexcept { return size_; }

    // The chunks holding what the points added leave: for every key, in increasing key number,
    // its points in timestamp order, the last written for each timestamp, in chunks of at most
    // kMaxChunkPoints. Empties the compactor.
    std::vector<KeyChunk> take();

  private:
    struct Key {
        std::vector<Point> points;  // In the order they were written.
        std::int64_t accepted_s;
    };

    std::unordered_map<std::uint64_t, Key> keys_;
    std::size_t size_ = 0;
};

}  // namespace beat
