// How the PostgreSQL writer sends a chunk of points. A binary COPY into beat.point_rows is the
// fastest way in, but PostgreSQL refuses it whole when one of its (series, second) is stored
// already; the upsert (INSERT ... ON CONFLICT DO UPDATE) replaces such a value, at the price of a
// check per row. So the writer copies, upserts a chunk that COPY refused, and upserts the next
// kUpsertChunks chunks at once, since a server writing beside another (each point written twice)
// or sending again after a reconnection would otherwise have every COPY refused. Pure.
#pragma once

#include <cstddef>

namespace beat {

class PointWriteMethod {
  public:
    static constexpr std::size_t kUpsertChunks = 64;

    // True: send the next chunk with COPY; false: with the upsert.
    bool copy() const noexcept { return upserts_left_ == 0; }

    // COPY was refused for a point stored already: the chunk and the next kUpsertChunks upsert.
    void refused() noexcept { upserts_left_ = kUpsertChunks + 1; }
    // A chunk was written with the upsert.
    void upserted() noexcept {
        if (upserts_left_ > 0) --upserts_left_;
    }

  private:
    std::size_t upserts_left_ = 0;
};

}  // namespace beat
