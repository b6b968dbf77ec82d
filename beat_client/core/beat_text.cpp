#include "beat_client/core/beat_text.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "common/duration.hpp"
#include "common/float_repr.hpp"
#include "common/utc_time.hpp"
#include "common/wire.hpp"

namespace beat {
namespace {

// Whole numbers (counters, bytes) without a fraction or an exponent, the rest as repr().
std::string value_text(double v) {
    if (std::trunc(v) == v && std::fabs(v) < 1e15) return fmt::format("{:.0f}", v);
    return float_repr(v);
}

}  // namespace

std::string format_beat(const std::vector<std::string>& datagrams) {
    std::string out;
    std::size_t bytes = 0;
    for (const std::string& d : datagrams)
        bytes += d.size();
    bool header = false;
    std::vector<std::pair<std::string_view, double>> metrics;
    for (std::size_t i = 0; i < datagrams.size(); ++i) {
        HeartbeatView v;
        if (const DecodeError e = decode_heartbeat(datagrams[i], v); e != DecodeError::ok) {
            out += fmt::format("datagram {} does not decode: {}\n", i, to_string(e));
            continue;
        }
        if (!header) {
            out += fmt::format(
                "host {} incarnation {:016x} sequence {} interval {} sent {}\n"
                "{} datagram{} ({} bytes{})\n",
                v.host, v.incarnation, v.sequence, format_duration(v.interval_ms),
                format_utc_ms(v.send_time_ms), datagrams.size(), datagrams.size() == 1 ? "" : "s",
                bytes, (v.flags & kFlagAuth) ? ", signed" : "");
            header = true;
        }
        MetricCursor cur = v.metrics();
        MetricView m;
        while (cur.next(m))
            metrics.emplace_back(m.name, m.value);
    }
    std::size_t width = 0;
    for (const auto& [name, value] : metrics)
        width = std::max(width, name.size());
    for (const auto& [name, value] : metrics)
        out += fmt::format("  {:<{}}  {}\n", name, width, value_text(value));
    return out;
}

}  // namespace beat
