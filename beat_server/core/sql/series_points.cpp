#include "beat_server/core/sql/series_points.hpp"

#include <algorithm>

namespace beat {

SeriesPoints series_points(std::vector<SeriesRow> rows) {
    std::stable_sort(rows.begin(), rows.end(), [](const SeriesRow& a, const SeriesRow& b) {
        return a.series != b.series ? a.series < b.series : a.unix_s < b.unix_s;
    });
    SeriesPoints out;
    out.series.reserve(rows.size());
    out.unix_s.reserve(rows.size());
    out.values.reserve(rows.size());
    for (const SeriesRow& r : rows) {
        if (!out.series.empty() && out.series.back() == r.series && out.unix_s.back() == r.unix_s) {
            out.values.back() = r.value;
            continue;
        }
        out.series.push_back(r.series);
        out.unix_s.push_back(r.unix_s);
        out.values.push_back(r.value);
    }
    return out;
}

}  // namespace beat
