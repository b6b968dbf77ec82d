// A chunk of points in the database's terms, ready to send: series ids (beat.series), Unix
// seconds and values as three columns. Pure.
#pragma once

#include <cstdint>
#include <vector>

namespace beat {

struct SeriesRow {
    std::int64_t series;
    std::int64_t unix_s;
    double value;
};

struct SeriesPoints {
    std::vector<std::int64_t> series;
    std::vector<std::int64_t> unix_s;
    std::vector<double> values;
};

// The columns of `rows` in the order of beat.point_rows' primary key (series, second), so the
// database walks its index in order and two servers writing the same points lock them in the same
// order; of rows with the same (series, second) (a key removed and added again under another store
// id) only the last of `rows` is kept, since one statement may not write a row twice.
SeriesPoints series_points(std::vector<SeriesRow> rows);

}  // namespace beat
