#include "beat_server/core/detect/liveness.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace beat {

void NodeList::push_back(LivenessNode& n) noexcept {
    Link& l = n.link;
    l.prev = head_.prev;
    l.next = &head_;
    head_.prev->next = &l;
    head_.prev = &l;
    l.list = this;
    ++size_;
}

void NodeList::unlink(LivenessNode& n) noexcept {
    Link& l = n.link;
    if (l.list == nullptr) return;
    l.prev->next = l.next;
    l.next->prev = l.prev;
    --l.list->size_;
    l.prev = l.next = nullptr;
    l.list = nullptr;
}

std::string_view to_string(JudgedBy j) noexcept {
    switch (j) {
        case JudgedBy::fixed:
            return "fixed";
        case JudgedBy::phi:
            return "phi";
        case JudgedBy::probe:
            return "probe";
    }
    return "unknown";
}

DetectorReading read_detector(const LivenessNode& n, std::int64_t now_ms) noexcept {
    DetectorReading r;
    r.loss = n.loss.rate();
    double interval = n.interval_ms;
    if (n.phi) {
        r.phi = phi(n.phi->model, static_cast<double>(now_ms - n.heard_ms));
        interval = n.phi->model.mean_ms;
    }
    r.expected_ms = n.heard_ms + std::llround(interval);
    return r;
}

std::int64_t Liveness::timeout_for(std::uint32_t interval_ms) const noexcept {
    if (fixed_timeout_ms_) return *fixed_timeout_ms_;
    return static_cast<std::int64_t>(interval_ms) * config_.multiplier;
}

namespace {

// True when a crossing computed for `solved` may stand for `m`: the mean within 0.2%, the
// deviation within 1% and the loss rate within 2% of theirs, which moves the crossing by at most
// a few hundredths of an interval. A steady host thus pays for a crossing every ten beats or so.
bool close_enough(const PhiModel& m, const PhiModel& solved) noexcept {
    return m.pause_ms == solved.pause_ms &&
           std::abs(m.mean_ms - solved.mean_ms) <= 0.002 * solved.mean_ms &&
           std::abs(m.stddev_ms - solved.stddev_ms) <= 0.01 * solved.stddev_ms &&
           (m.loss == solved.loss || std::abs(m.loss - solved.loss) <= 0.02 * solved.loss) &&
           (m.burst == solved.burst || std::abs(m.burst - solved.burst) <= 0.02 * solved.burst);
}

}  // namespace

std::int64_t Liveness::timeout_of(LivenessNode& n, Arrival arrival) const noexcept {
    PhiTrack* track = n.phi.get();
    if (track == nullptr) return timeout_for(n.interval_ms);
    track->model = track->intervals.model(n.interval_ms, n.loss.cautious_rate(),
                                          n.loss.cautious_burst(), config_.phi);
    track->grace = arrival == Arrival::restored;
    if (track->grace) return timeout_for(n.interval_ms);
    // Computing the crossing is the costly part of a beat; a crossing for a model a little off
    // is reused, and a deadline that proves early is caught when it comes (advance()).
    if (track->crossing_ms < 0 || !close_enough(track->model, track->solved)) {
        track->solved = track->model;
        track->crossing_ms = phi_crossing_ms(track->model, config_.phi.threshold);
    }
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(track->crossing_ms)));
}

void Liveness::measure(LivenessNode& n, std::int64_t now_ms, Arrival arrival, std::uint64_t lost,
                       HostState before) {
    if (arrival == Arrival::next && before == HostState::up) {
        n.loss.record(lost);
    } else if (arrival == Arrival::next && before == HostState::silent) {
        // A gap across a silence: the beats lost before the host was declared silent tell of the
        // link (so a silence that was a run of lost beats makes the detector more patient); the
        // rest may be an outage, which says nothing about the link.
        const double interval = n.phi ? n.phi->model.mean_ms : static_cast<double>(n.interval_ms);
        const auto waited =
            static_cast<std::uint64_t>(static_cast<double>(n.timeout_ms) / std::max(interval, 1.0));
        n.loss.record(std::min(lost, waited));
    }
    if (config_.kind != DetectorKind::phi) return;
    if (!n.phi) n.phi = std::make_unique<PhiTrack>();
    PhiTrack& t = *n.phi;
    // Intervals are measured only while the host stays up.
    if (arrival == Arrival::next && before == HostState::up && t.sample_from_ms >= 0) {
        t.intervals.record(static_cast<double>(now_ms - t.sample_from_ms), lost);
    }
    if (arrival != Arrival::late) t.sample_from_ms = arrival == Arrival::restored ? -1 : now_ms;
}

HostState Liveness::beat(LivenessNode& n, std::uint32_t interval_ms, std::int64_t now_ms,
                         Arrival arrival, std::uint64_t lost) {
    const HostState before = n.state;
    if (before != HostState::unknown && interval_ms != n.interval_ms && n.phi) {
        // A new rhythm: the intervals measured so far describe the old one.
        n.phi->intervals.clear();
        n.phi->sample_from_ms = -1;
    }
    measure(n, now_ms, arrival, lost, before);
    if (before == HostState::silent) {
        NodeList::unlink(n);
        n.flap.back(now_ms);
    }
    if (before != HostState::up) ++up_;
    n.state = HostState::up;
    n.interval_ms = interval_ms;
    n.heard_ms = now_ms;
    n.timeout_ms = timeout_of(n, arrival);
    requeue(n);
    return before;
}

void Liveness::requeue(LivenessNode& n) {
    std::int64_t due = std::numeric_limits<std::int64_t>::max();
    if (n.state == HostState::up) due = n.heard_ms + n.timeout_ms;
    if (n.flap.flapping()) due = std::min(due, n.flap.settle_at_ms());
    if (due == std::numeric_limits<std::int64_t>::max()) {
        queue_.cancel(n);
    } else {
        queue_.schedule(n, due);
    }
}

std::optional<Change> Liveness::advance(LivenessNode& n, std::int64_t now_ms) {
    Change change = Change::settled;
    const std::int64_t elapsed = now_ms - n.heard_ms;
    PhiTrack* track = n.phi.get();
    if (n.state == HostState::up && elapsed >= n.timeout_ms && track != nullptr && !track->grace &&
        phi(track->model, static_cast<double>(elapsed)) < config_.phi.threshold) {
        // The deadline came from a crossing reused for a slightly hastier model: solve for the
        // host's own model and wait for that.
        track->solved = track->model;
        track->crossing_ms = phi_crossing_ms(track->model, config_.phi.threshold);
        n.timeout_ms =
            std::max(elapsed + 1, static_cast<std::int64_t>(std::ceil(track->crossing_ms)));
        requeue(n);
        return std::nullopt;
    }
    if (n.state == HostState::up && elapsed >= n.timeout_ms) {
        n.state = HostState::silent;
        n.silent_since_ms = now_ms;
        --up_;
        silent_.push_back(n);
        switch (n.flap.silent(now_ms, n.timeout_ms, config_.flap)) {
            case FlapDamper::Verdict::report:
                change = Change::silent;
                break;
            case FlapDamper::Verdict::flapping:
                change = Change::flapping;
                ++flapping_;
                break;
            case FlapDamper::Verdict::quiet:
                change = Change::silent_damped;
                break;
        }
    } else {
        // Nothing else is queued for: the host has stayed in one state long enough.
        if (n.flap.flapping()) --flapping_;
        n.flap.settle();
    }
    requeue(n);
    return change;
}

std::optional<std::int64_t> Liveness::next_deadline() const noexcept {
    if (queue_.empty()) return std::nullopt;
    return queue_.next_deadline();
}

void Liveness::remove(LivenessNode& n) noexcept {
    if (n.state == HostState::up) --up_;
    if (n.flap.flapping()) {
        --flapping_;
        n.flap.settle();
    }
    NodeList::unlink(n);
    queue_.cancel(n);
    n.state = HostState::unknown;
}

}  // namespace beat
