#include <catch2/catch.hpp>

#include <vector>

#include "beat_server/core/sql/series_points.hpp"

using namespace beat;

TEST_CASE("a chunk's points are ordered by series and second", "[series_points]") {
    const SeriesPoints p = series_points({{3, 10, 0.5}, {1, 20, 1.0}, {1, 10, 2.0}, {2, 5, 3.0}});
    CHECK(p.series == std::vector<std::int64_t>{1, 1, 2, 3});
    CHECK(p.unix_s == std::vector<std::int64_t>{10, 20, 5, 10});
    CHECK(p.values == std::vector<double>{2.0, 1.0, 3.0, 0.5});
}

TEST_CASE("of two rows with the same series and second the last one is kept", "[series_points]") {
    const SeriesPoints p = series_points({{4, 7, 1.0}, {5, 7, 9.0}, {4, 7, 2.0}, {4, 7, 3.0}});
    CHECK(p.series == std::vector<std::int64_t>{4, 5});
    CHECK(p.unix_s == std::vector<std::int64_t>{7, 7});
    CHECK(p.values == std::vector<double>{3.0, 9.0});
    CHECK(series_points({}).series.empty());
}
