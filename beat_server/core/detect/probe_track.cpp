#include "beat_server/core/detect/probe_track.hpp"

#include <algorithm>
#include <cmath>

namespace beat {

double probe_failure(const ProbeTrack& t, const LossRate& beats) noexcept {
    const double q = beats.cautious_rate();
    const double f = std::max({t.outcomes.cautious_rate(), t.outcomes.wary_burst(),
                               1 - (1 - q) * (1 - q), beats.wary_burst()});
    // Never certain either way: a link that answers nothing gives no evidence per probe.
    return std::clamp(f, 1e-6, 0.99);
}

double suspect_after_ms(const PhiModel& m, const ProbeSettings& s) noexcept {
    return m.mean_ms +
           std::max(s.suspect_deviations * m.stddev_ms, s.suspect_margin_intervals * m.mean_ms);
}

std::int64_t answer_wait_ms(const ProbeTrack& t, const ProbeSettings& s, double mean_ms) noexcept {
    const double floor =
        std::max(static_cast<double>(s.min_spacing_ms), s.min_spacing_intervals * mean_ms);
    return std::llround(std::ceil(std::max(floor, 3 * t.rtt_ms)));
}

std::uint32_t unanswered(const ProbeTrack& t, std::int64_t now_ms, const ProbeSettings& s,
                         double mean_ms) noexcept {
    if (!t.suspecting || t.sent == 0 || t.spacing_ms <= 0) return 0;
    // Probe i went out at first_ms + i x spacing and counts once the answer wait has passed.
    const std::int64_t waited = now_ms - answer_wait_ms(t, s, mean_ms) - t.first_ms;
    if (waited < 0) return 0;
    const auto n = static_cast<std::uint64_t>(waited / t.spacing_ms) + 1;
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(n, t.sent));
}

std::int64_t probe_spacing_ms(const PhiModel& m, double since_heard_ms, double evidence_per_probe,
                              std::int64_t answer_wait, const ProbeSettings& s) noexcept {
    PhiModel beats = m;
    beats.pause_ms = 0;
    const double target = s.target_intervals * m.mean_ms;
    const double from_beats = phi(beats, target);
    const double needed = std::ceil(std::max(
        static_cast<double>(s.min_probes),
        (s.threshold - std::min(from_beats, s.threshold)) / std::max(evidence_per_probe, 1e-3)));
    const double left = target - since_heard_ms;
    const double floor =
        std::max({s.min_spacing_intervals * m.mean_ms, static_cast<double>(s.min_spacing_ms), 1.0});
    // The last probe counts an answer wait after it is sent.
    const double spacing = std::max(floor, (left - static_cast<double>(answer_wait)) / needed);
    return std::max<std::int64_t>(1, std::llround(spacing));
}

}  // namespace beat
