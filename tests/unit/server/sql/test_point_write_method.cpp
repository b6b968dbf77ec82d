#include <catch2/catch.hpp>

#include "beat_server/core/sql/point_write_method.hpp"

using namespace beat;

TEST_CASE("chunks are copied until COPY is refused", "[point_write_method]") {
    PointWriteMethod m;
    CHECK(m.copy());
    m.upserted();
    CHECK(m.copy());
}

TEST_CASE("a refused COPY makes that chunk and the next 64 upsert, then COPY is tried again",
          "[point_write_method]") {
    PointWriteMethod m;
    m.refused();
    for (std::size_t i = 0; i <= PointWriteMethod::kUpsertChunks; ++i) {
        CHECK_FALSE(m.copy());
        m.upserted();
    }
    CHECK(m.copy());
}
