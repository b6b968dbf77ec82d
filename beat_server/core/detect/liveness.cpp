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
    r.judged_by = n.judged;
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
    if (n.probe && n.probe->answers) {
        // Judged by probes: looked at again once the next beat is late.
        return std::max<std::int64_t>(
            1, std::llround(std::ceil(suspect_after_ms(track->model, config_.probe))));
    }
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
    if (config_.kind == DetectorKind::fixed) return;
    if (!n.phi) n.phi = std::make_unique<PhiTrack>();
    PhiTrack& t = *n.phi;
    if (now_ms < hold_until_ms_) {
        // Read after a stall of the server: when it really arrived is unknown.
        t.sample_from_ms = -1;
        return;
    }
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
    if (config_.kind == DetectorKind::probe) {
        if (!n.probe) n.probe = std::make_unique<ProbeTrack>();
        ProbeTrack& p = *n.probe;
        if (p.suspecting) close_suspicion(n, now_ms, std::nullopt);
        if (arrival == Arrival::fresh || arrival == Arrival::restored) {
            // A new agent run is taken to answer as the previous one did until its discovery
            // probes go unanswered; a host not seen since the server restarted, not at all.
            if (arrival == Arrival::restored) p.answers = false;
            p.confirmed = false;
            p.discovering = false;
            p.discovery_tries = 0;
            p.beats_to_discovery = 0;
        }
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
    n.wake_ms = 0;
    n.timeout_ms = timeout_of(n, arrival);
    rejudge(n);
    requeue(n);
    return before;
}

void Liveness::rejudge(LivenessNode& n) noexcept {
    JudgedBy j = JudgedBy::fixed;
    if (config_.kind == DetectorKind::phi) j = JudgedBy::phi;
    if (config_.kind == DetectorKind::probe) {
        const bool grace = n.phi && n.phi->grace;
        j = n.probe && n.probe->answers && !grace ? JudgedBy::probe : JudgedBy::phi;
    }
    if (n.counted) --judged_[static_cast<std::size_t>(n.judged)];
    n.judged = j;
    n.counted = n.state != HostState::unknown;
    if (n.counted) ++judged_[static_cast<std::size_t>(j)];
}

bool Liveness::discover(LivenessNode& n, std::int64_t now_ms) {
    if (!n.probe || n.state != HostState::up) return false;
    ProbeTrack& p = *n.probe;
    if (p.suspecting || (p.answers && p.confirmed)) return false;
    if (p.beats_to_discovery > 0) {
        --p.beats_to_discovery;
        return false;
    }
    if (p.discovery_tries >= config_.probe.discovery_tries) {
        if (p.answers) {
            // This run does not answer (an older agent, a path that lost its way back): phi.
            p.answers = false;
            rejudge(n);
            n.timeout_ms = timeout_of(n, Arrival::next);
            requeue(n);
        }
        return false;
    }
    if (!budget_.take(now_ms)) return false;
    p.beats_to_discovery =
        config_.probe.discovery_every > 0 ? config_.probe.discovery_every - 1 : 0;
    ++p.discovery_tries;
    p.discovering = true;
    p.sent = 1;
    p.first_ms = now_ms;
    return true;
}

bool Liveness::answered(LivenessNode& n, std::uint64_t index, std::int64_t now_ms) {
    if (!n.probe || !n.phi || n.state != HostState::up) return false;
    ProbeTrack& p = *n.probe;
    if ((!p.discovering && !p.suspecting) || index >= p.sent) return false;
    const std::int64_t sent_at =
        p.suspecting ? p.first_ms + static_cast<std::int64_t>(index) * p.spacing_ms : p.first_ms;
    const auto rtt = static_cast<double>(std::max<std::int64_t>(0, now_ms - sent_at));
    // The largest recent round trip, forgetting a tenth of the old one at each answer.
    p.rtt_ms = std::max(rtt, 0.9 * p.rtt_ms + 0.1 * rtt);
    if (p.suspecting) {
        close_suspicion(n, now_ms, index);
    } else {
        p.outcomes.record(0);
        p.discovering = false;
    }
    p.answers = true;
    p.confirmed = true;
    n.phi->grace = false;
    // A sign of life: the host is looked at again once a beat is late from now.
    n.heard_ms = now_ms;
    n.wake_ms = 0;
    n.timeout_ms = std::max<std::int64_t>(
        1, std::llround(std::ceil(suspect_after_ms(n.phi->model, config_.probe))));
    rejudge(n);
    requeue(n);
    return true;
}

void Liveness::close_suspicion(LivenessNode& n, std::int64_t now_ms,
                               std::optional<std::uint64_t> answered) {
    ProbeTrack& p = *n.probe;
    std::uint32_t failed = unanswered(p, now_ms, config_.probe, n.phi->model.mean_ms);
    if (answered && *answered < failed) --failed;
    if (answered) {
        p.outcomes.record(failed);
    } else {
        p.outcomes.record_lost(failed);
    }
    p.suspecting = false;
    p.held_ms = 0;
    --suspects_;
}

void Liveness::hold_until(std::int64_t until_ms) noexcept {
    hold_until_ms_ = std::max(hold_until_ms_, until_ms);
}

void Liveness::requeue(LivenessNode& n) {
    std::int64_t due = std::numeric_limits<std::int64_t>::max();
    if (n.state == HostState::up) due = std::max(n.heard_ms + n.timeout_ms, n.wake_ms);
    if (n.flap.flapping()) due = std::min(due, n.flap.settle_at_ms());
    if (due == std::numeric_limits<std::int64_t>::max()) {
        queue_.cancel(n);
    } else {
        queue_.schedule(n, due);
    }
}

std::optional<Change> Liveness::advance(LivenessNode& n, std::int64_t now_ms) {
    const std::int64_t elapsed = now_ms - n.heard_ms;
    const bool silence_due =
        n.state == HostState::up && elapsed >= n.timeout_ms && now_ms >= n.wake_ms;
    if (!silence_due) {
        // Nothing else is queued for: the host has stayed in one state long enough.
        if (n.flap.flapping()) --flapping_;
        n.flap.settle();
        requeue(n);
        return Change::settled;
    }
    if (now_ms < hold_until_ms_) {
        // The server itself was not listening: look again once its backlog has been read.
        n.wake_ms = hold_until_ms_;
        requeue(n);
        return std::nullopt;
    }
    if (n.judged == JudgedBy::probe) return advance_probe(n, now_ms);
    PhiTrack* track = n.phi.get();
    if (track != nullptr && !track->grace &&
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
    return declare_silent(n, now_ms);
}

std::optional<Change> Liveness::declare_silent(LivenessNode& n, std::int64_t now_ms) {
    Change change = Change::silent;
    if (n.probe && n.probe->suspecting) {
        // Its unanswered probes say nothing of the link if it is dead: not recorded.
        n.probe->suspecting = false;
        n.probe->held_ms = 0;
        --suspects_;
    }
    // Judged by probes, the host had no timeout set in advance: its timeout is what it was given.
    if (n.judged == JudgedBy::probe) n.timeout_ms = now_ms - n.heard_ms;
    n.wake_ms = 0;
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
    requeue(n);
    return change;
}

std::optional<Change> Liveness::advance_probe(LivenessNode& n, std::int64_t now_ms) {
    const ProbeSettings& s = config_.probe;
    ProbeTrack& p = *n.probe;
    const PhiModel& model = n.phi->model;
    const auto since = static_cast<double>(now_ms - n.heard_ms);
    if (!p.suspecting) {
        p.suspecting = true;
        ++suspects_;
        p.discovering = false;
        p.sent = 0;
        p.held_ms = 0;
        p.first_ms = now_ms;
        p.evidence_per_probe = -std::log10(probe_failure(p, n.loss));
        p.spacing_ms = probe_spacing_ms(model, since, p.evidence_per_probe,
                                        answer_wait_ms(p, s, model.mean_ms), s);
    }
    PhiModel beats = model;
    beats.pause_ms = 0;
    const std::uint32_t failed = unanswered(p, now_ms, s, model.mean_ms);
    const double from_beats = phi(beats, since);
    const double evidence = from_beats + failed * p.evidence_per_probe;
    if (evidence >= s.threshold && (failed >= s.min_probes || from_beats >= s.threshold)) {
        const auto up = static_cast<double>(up_);
        const double step = std::max(1.0, model.mean_ms);
        if (suspects_ >= s.mass_min && static_cast<double>(suspects_) >= s.mass_share * up &&
            static_cast<double>(p.held_ms) < s.hold_intervals * step) {
            // Too many at once to blame the hosts: wait an interval and look again.
            const bool first = p.held_ms == 0;
            p.held_ms += std::llround(step);
            n.wake_ms = now_ms + std::llround(step);
            requeue(n);
            return first ? std::optional<Change>(Change::held) : std::nullopt;
        }
        return declare_silent(n, now_ms);
    }
    std::optional<Change> change;
    const std::int64_t next_probe = p.first_ms + static_cast<std::int64_t>(p.sent) * p.spacing_ms;
    if (p.sent < s.max_probes && now_ms >= next_probe) {
        if (now_ms - next_probe >= p.spacing_ms) {
            // Late (the server was busy): the probes so far count from where this one goes.
            p.first_ms = now_ms - static_cast<std::int64_t>(p.sent) * p.spacing_ms;
        }
        if (budget_.take(now_ms)) {
            ++p.sent;
            change = Change::probe;
        } else {
            // Not sent: the schedule slides, so that the slot adds no evidence.
            p.first_ms += p.spacing_ms;
        }
    }
    // Look again at the next probe, or when the next one sent counts as unanswered, or when
    // the missing beats alone would reach the threshold.
    std::int64_t wake = std::numeric_limits<std::int64_t>::max();
    if (p.sent < s.max_probes) {
        wake = p.first_ms + static_cast<std::int64_t>(p.sent) * p.spacing_ms;
    }
    const std::uint32_t counted = unanswered(p, now_ms, s, model.mean_ms);
    if (counted < p.sent) {
        wake = std::min(wake, p.first_ms + static_cast<std::int64_t>(counted) * p.spacing_ms +
                                  answer_wait_ms(p, s, model.mean_ms));
    }
    const double left = s.threshold - counted * p.evidence_per_probe;
    if (left > 0 && beats.mean_ms > 0) {
        const double crossing = phi_crossing_ms(beats, std::clamp(left, 0.1, 16.0));
        wake = std::min(wake, n.heard_ms + static_cast<std::int64_t>(std::ceil(crossing)));
    }
    n.wake_ms =
        std::max(now_ms + 1, wake == std::numeric_limits<std::int64_t>::max() ? now_ms + 1 : wake);
    requeue(n);
    return change;
}

std::optional<std::int64_t> Liveness::next_deadline() const noexcept {
    if (queue_.empty()) return std::nullopt;
    return queue_.next_deadline();
}

void Liveness::remove(LivenessNode& n) noexcept {
    if (n.state == HostState::up) --up_;
    if (n.probe && n.probe->suspecting) {
        n.probe->suspecting = false;
        --suspects_;
    }
    if (n.counted) --judged_[static_cast<std::size_t>(n.judged)];
    n.counted = false;
    if (n.flap.flapping()) {
        --flapping_;
        n.flap.settle();
    }
    NodeList::unlink(n);
    queue_.cancel(n);
    n.state = HostState::unknown;
}

}  // namespace beat
