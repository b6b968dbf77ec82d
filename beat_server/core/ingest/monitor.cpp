#include "beat_server/core/ingest/monitor.hpp"

#include <sodium.h>

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "beat_server/core/ingest/pyheartbeat.hpp"

namespace beat {
namespace {

EventHost event_host(const HostRecord& h) {
    return {std::string(h.name), h.address};
}

// Floor division, so that a send time before 1970 still lands in its own second.
std::int64_t second_of(std::int64_t ms) {
    return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

}  // namespace

Monitor::Monitor(const MonitorConfig& config, Store& store, EventSink& events, DatagramOut* out)
    : config_(config),
      store_(store),
      events_(events),
      out_(out),
      liveness_(config.detector, config.timeout_ms) {
    encode_plan(local_plan(), local_body_);
    local_version_ = plan_version(local_body_);
}

void Monitor::refuse(Refusal reason, std::string_view host, const SourceAddress& from,
                     std::int64_t now_ms) {
    ++stats_.refused;
    ++stats_.refused_by[static_cast<std::size_t>(reason)];
    // Refusals can come in floods: the record is reused, so that its name is copied into a
    // buffer already allocated rather than a new string each time.
    DatagramRefused& r = *std::get_if<DatagramRefused>(&refused_);
    r.reason = reason;
    r.host.assign(host);
    r.from = from;
    r.at_ms = now_ms;
    events_.on_event(refused_);
}

void Monitor::on_datagram(std::string_view datagram, const SourceAddress& from, std::int64_t now_ms,
                          std::int64_t now_unix_ms) {
    ++stats_.datagrams;
    unix_offset_ms_ = now_unix_ms - now_ms;
    if (is_control(datagram)) return on_control(datagram, from, now_ms);
    if (is_pyheartbeat(datagram)) return on_legacy_beat(from, now_ms);
    HeartbeatView hb;
    if (const DecodeError e = decode_heartbeat(datagram, hb); e != DecodeError::ok) {
        ++stats_.rejected;
        ++stats_.rejected_by[static_cast<std::size_t>(e)];
        events_.on_event(InvalidDatagram{e, from, now_ms});
        return;
    }

    const AuthVerdict auth = check_auth(config_.auth, hb, now_unix_ms);
    if (!auth.ok) return refuse(auth.reason, hb.host, from, now_ms);

    HostRecord* found = registry_.find(hb.host);
    const bool is_new = found == nullptr;
    if (is_new && registry_.size() >= config_.max_hosts)
        return refuse(Refusal::host_limit, hb.host, from, now_ms);
    // A different incarnation is a restart only when it started after the current one: anything
    // older is a replay, or a straggler from before the restart. Unauthenticated beats of a host
    // already silent are let through, so that an agent whose clock stepped back is not shut out
    // (without authentication, replay protection protects nothing anyway).
    if (!is_new && hb.incarnation != found->sequence.incarnation() &&
        hb.send_time_ms <= found->incarnation_start_ms &&
        (auth.authenticated || found->liveness.state != HostState::silent)) {
        return refuse(Refusal::replay, hb.host, from, now_ms);
    }
    HostRecord& host = is_new ? registry_.add(hb.host, now_ms) : *found;

    const auto seen = host.sequence.observe(hb.incarnation, hb.sequence);
    bool new_beat = true;  // False for the further parts of a beat already counted.
    switch (seen.verdict) {
        case SequenceWindow::Verdict::stale:
            ++stats_.duplicates;
            ++host.duplicates;
            return;
        case SequenceWindow::Verdict::duplicate: {
            // A beat split across datagrams shares one sequence number: a part not seen yet
            // belongs to the newest beat; anything else is a true duplicate.
            if (hb.parts < 2 || hb.sequence != host.parts_sequence ||
                host.parts_seen.test(hb.part)) {
                ++stats_.duplicates;
                ++host.duplicates;
                return;
            }
            host.parts_seen.set(hb.part);
            new_beat = false;
            break;
        }
        case SequenceWindow::Verdict::late:
            ++stats_.late;
            break;
        case SequenceWindow::Verdict::restart:
            ++host.restarts;
            [[fallthrough]];
        case SequenceWindow::Verdict::first:
            host.incarnation_start_ms = hb.send_time_ms;
            [[fallthrough]];
        case SequenceWindow::Verdict::next:
            host.parts_sequence = hb.sequence;
            host.parts_seen.reset();
            host.parts_seen.set(hb.part);
            break;
    }
    ++stats_.accepted;

    if (new_beat) ++host.beats;
    // Loss stops at its largest value rather than wrap round (only a broken or forged sequence
    // gets that far).
    host.lost += std::min(seen.lost, std::numeric_limits<std::uint64_t>::max() - host.lost);
    if (seen.recovered && host.lost > 0) --host.lost;  // Counted lost when its gap appeared.
    const std::int64_t previous_seen_ms = host.last_seen_ms;
    host.address = from;
    host.interval_ms = hb.interval_ms;
    host.last_seen_ms = now_ms;
    host.legacy = false;
    const bool newest = seen.verdict != SequenceWindow::Verdict::late;
    if (newest) host.last_send_time_ms = hb.send_time_ms;

    // The further parts of a beat, like a reordered beat, are signs of life with no interval.
    const Arrival arrival = seen.verdict == SequenceWindow::Verdict::next ? Arrival::next
                            : seen.verdict == SequenceWindow::Verdict::late || !new_beat
                                ? Arrival::late
                                : Arrival::fresh;
    const HostState before =
        liveness_.beat(host.liveness, hb.interval_ms, now_ms, arrival, seen.lost);
    release_stale_metrics(host, now_ms);
    store_metrics(host, hb, newest, now_ms, now_unix_ms / 1000);

    // The plan goes before the ack, so that an agent that waits for the ack (`once --print`)
    // has the plan by then.
    if (new_beat && newest) {
        host.plan.running = hb.plan_version;
        // A server without plans has nothing to do for an agent that runs none.
        if (plans_ != nullptr || hb.plan_version != 0 || host.plan.sent)
            follow_plan(host, now_ms, now_unix_ms);
    }
    const bool restarted = seen.verdict == SequenceWindow::Verdict::restart;
    if (out_ != nullptr && new_beat) {
        const bool first = seen.verdict != SequenceWindow::Verdict::next &&
                           seen.verdict != SequenceWindow::Verdict::late;
        if (config_.ack_every > 0 &&
            (first || before == HostState::silent || hb.sequence % config_.ack_every == 0)) {
            send_control(ControlType::ack, host, hb.sequence, now_unix_ms);
            ++stats_.acks;
        }
        if (liveness_.discover(host.liveness, now_ms)) {
            host.liveness.probe->nonce = next_nonce();
            send_control(ControlType::probe, host, host.liveness.probe->nonce, now_unix_ms);
            ++stats_.probes;
        }
    }
    if (is_new) {
        host.transitions.push({now_ms, now_ms, TransitionKind::new_host});
        events_.on_event(
            HostNew{event_host(host), now_ms, host.interval_ms, host.sequence.incarnation()});
    } else if (before == HostState::silent && !host.liveness.flapping()) {
        // (A flapping host's returns are not reported one by one.)
        host.transitions.push({now_ms, now_ms, TransitionKind::back});
        events_.on_event(HostBack{event_host(host), now_ms, now_ms - previous_seen_ms, seen.lost,
                                  restarted, read_detector(host.liveness, now_ms)});
    } else if (restarted) {
        host.transitions.push({now_ms, now_ms, TransitionKind::restarted});
        events_.on_event(
            HostRestarted{event_host(host), now_ms, host.sequence.incarnation(), host.restarts});
    }
    report_refused_metrics(host, now_ms);
}

void Monitor::set_plans(std::shared_ptr<const PlanBook> plans) noexcept {
    plans_ = std::move(plans);
    ++plans_generation_;
}

void Monitor::refresh_plan(HostRecord& host) const noexcept {
    HostPlan& p = host.plan;
    if (p.generation == plans_generation_) return;
    const std::uint32_t index = plans_ != nullptr ? plans_->match(host.name) : PlanBook::kNoPlan;
    const std::uint32_t wanted = index != PlanBook::kNoPlan ? plans_->plans()[index].version : 0;
    if (p.generation != 0 && wanted != p.wanted) p.reloaded = true;
    p.generation = plans_generation_;
    p.index = index;
    p.wanted = wanted;
}

HostPlanView Monitor::plan_of(const HostRecord& host) const noexcept {
    const HostPlan& p = host.plan;
    const std::uint32_t index = p.generation == plans_generation_ ? p.index
                                : plans_ != nullptr               ? plans_->match(host.name)
                                                                  : PlanBook::kNoPlan;
    if (index == PlanBook::kNoPlan) return {nullptr, 0, p.running};
    const PlanEntry& e = plans_->plans()[index];
    return {&e, e.version, p.running};
}

void Monitor::follow_plan(HostRecord& host, std::int64_t now_ms, std::int64_t now_unix_ms) {
    refresh_plan(host);
    HostPlan& p = host.plan;
    const PlanEntry* plan = p.index != PlanBook::kNoPlan ? &plans_->plans()[p.index] : nullptr;
    if (p.running == p.wanted) {
        if (p.sent) {
            events_.on_event(
                PlanApplied{event_host(host), now_ms,
                            plan != nullptr ? plan->plan.name : std::string(kLocalPlanName),
                            p.wanted, p.reloaded});
        }
        p.sent = false;
        p.reloaded = false;
        return;
    }
    if (out_ == nullptr) return;
    if (!p.sends.try_send(now_ms, kPlanResendWindowMs)) {
        ++stats_.plans_held;
        return;
    }
    if (plan != nullptr) {
        send_control(ControlType::plan, host, plan->version, now_unix_ms, plan->body);
    } else {
        send_control(ControlType::plan, host, local_version_, now_unix_ms, local_body_);
    }
    ++stats_.plans_sent;
    p.sent = true;
}

std::uint64_t Monitor::next_nonce() noexcept {
    unsigned char counter[8];
    for (int i = 0; i < 8; ++i)
        counter[i] = static_cast<unsigned char>(nonce_counter_ >> (8 * i));
    ++nonce_counter_;
    unsigned char out[crypto_shorthash_BYTES];
    crypto_shorthash(out, counter, sizeof counter, config_.nonce_key.data());
    std::uint64_t v = 0;
    for (unsigned char b : out)
        v = (v << 8) | b;
    return v;
}

void Monitor::send_control(ControlType type, const HostRecord& host, std::uint64_t number,
                           std::int64_t now_unix_ms, std::string_view payload) {
    if (out_ == nullptr) return;
    // Signed whenever the server holds the host's key, whatever --auth says, so that an agent
    // with a key (which ignores unsigned control datagrams) is answered through a rollout.
    const Key* key = config_.auth.keys != nullptr ? config_.auth.keys->key_for(host.name) : nullptr;
    encode_control({type, host.name, host.sequence.incarnation(), number,
                    std::clamp<std::int64_t>(now_unix_ms, 0, kMaxSendTimeMs - 1), payload},
                   key, control_scratch_);
    out_->send(control_scratch_, host.address);
}

void Monitor::on_control(std::string_view datagram, const SourceAddress& from,
                         std::int64_t now_ms) {
    ControlView c;
    if (const DecodeError e = decode_control(datagram, c); e != DecodeError::ok) {
        ++stats_.rejected;
        ++stats_.rejected_by[static_cast<std::size_t>(e)];
        events_.on_event(InvalidDatagram{e, from, now_ms});
        return;
    }
    HostRecord* host = registry_.find(c.host);
    // Only answers of the agent run the server knows, authenticated as its beats must be.
    bool ok = c.type == ControlType::answer && host != nullptr &&
              c.incarnation == host->sequence.incarnation();
    if (ok && config_.auth.mode != AuthMode::off) {
        const Key* key = config_.auth.keys ? config_.auth.keys->key_for(c.host) : nullptr;
        const bool tagged = (c.flags & kFlagAuth) != 0;
        if (tagged) {
            ok = key != nullptr && verify_control(c, *key);
        } else {
            ok = config_.auth.mode == AuthMode::optional;
        }
    }
    if (!ok) {
        ++stats_.answers_refused;
        return;
    }
    const ProbeTrack* p = host->liveness.probe.get();
    const std::uint64_t index = p != nullptr ? c.number - p->nonce : ~std::uint64_t{0};
    if (p == nullptr || !liveness_.answered(host->liveness, index, now_ms)) {
        ++stats_.answers_stale;
        return;
    }
    ++stats_.answers;
    host->last_seen_ms = now_ms;
}

void Monitor::store_metrics(HostRecord& host, const HeartbeatView& hb, bool latest,
                            std::int64_t now_ms, std::int64_t accepted_s) {
    const std::int64_t second = second_of(hb.send_time_ms);
    auto cursor = hb.metrics();
    MetricView m;
    std::size_t hint = 0;
    while (cursor.next(m)) {
        HostMetric* slot = host.metrics.find(m.name, hint);
        if (slot == nullptr) {
            if (host.metrics.size() >= config_.max_metrics_per_host) {
                ++stats_.metrics_host_limit;
                ++host.metrics_refused;
                ++host.metrics_refused_unreported;
                continue;
            }
            key_scratch_.assign(host.name);
            key_scratch_ += '.';
            key_scratch_ += m.name;
            Series* series = store_.open(key_scratch_);
            if (series != nullptr) series->pin();
            slot = &host.metrics.add(m.name, m.value, series, now_ms);
            hint = host.metrics.size();
        } else {
            slot->last_carried_ms = now_ms;
            if (latest) slot->value = m.value;
        }
        if (slot->series == nullptr) {
            // Its key was refused for --max-keys when first seen; the latest value is still kept.
            ++stats_.metrics_refused;
            continue;
        }
        store_.put(*slot->series, second, m.value, accepted_s);
        ++stats_.metrics;
    }
}

void Monitor::release_stale_metrics(HostRecord& host, std::int64_t now_ms) {
    const std::int64_t retention_s = store_.limits().retention_s;
    if (retention_s <= 0) return;
    stats_.metric_names_released +=
        host.metrics.release_older(now_ms, retention_s * 1000, [](const HostMetric& m) {
            if (m.series != nullptr) m.series->unpin();
        });
}

void Monitor::report_refused_metrics(HostRecord& host, std::int64_t now_ms) {
    if (host.metrics_refused_unreported == 0 || now_ms < host.metrics_refused_report_due_ms) return;
    events_.on_event(MetricsRefused{event_host(host),
                                    std::exchange(host.metrics_refused_unreported, 0),
                                    config_.max_metrics_per_host, now_ms});
    host.metrics_refused_report_due_ms = now_ms + kMetricsRefusedReportMs;
}

void Monitor::restore(const HostSnapshot& snap, std::int64_t now_ms, std::int64_t now_unix_ms) {
    if (snap.name.empty() || registry_.find(snap.name) != nullptr) return;
    const std::int64_t to_mono = now_ms - now_unix_ms;
    HostRecord& host = registry_.add(snap.name, snap.first_seen_unix_ms + to_mono);
    host.address = snap.address;
    host.sequence.restore(snap.incarnation, snap.sequence);
    host.parts_sequence = snap.sequence;
    host.parts_seen.set();
    host.interval_ms = snap.interval_ms;
    host.last_send_time_ms = snap.last_send_time_ms;
    // The real start of the incarnation is not kept; its last beat is a safe stand-in, since a
    // genuine restart begins after it.
    host.incarnation_start_ms = snap.last_send_time_ms;
    host.beats = snap.beats;
    host.lost = snap.lost;
    host.restarts = snap.restarts;
    host.duplicates = snap.duplicates;
    // Only a host heard through PyHeartBeat alone has no agent run and no sequence.
    host.legacy = snap.incarnation == 0 && snap.sequence == 0;
    // The grace: up until now + the fixed timeout, while last_seen keeps the real time it was
    // heard.
    liveness_.beat(host.liveness, snap.interval_ms, now_ms, Arrival::restored);
    host.last_seen_ms = std::min(snap.last_seen_unix_ms + to_mono, now_ms);
    for (Transition t : snap.transitions) {
        t.at_ms = std::min(t.at_ms + to_mono, now_ms);
        t.heard_ms = std::min(t.heard_ms + to_mono, now_ms);
        host.transitions.push(t);
    }
}

HostSnapshot Monitor::snapshot(const HostRecord& host, std::int64_t now_ms,
                               std::int64_t now_unix_ms) {
    const std::int64_t to_unix = now_unix_ms - now_ms;
    HostSnapshot s;
    s.name = std::string(host.name);
    s.address = host.address;
    s.incarnation = host.sequence.incarnation();
    s.sequence = host.sequence.highest();
    s.interval_ms = host.interval_ms;
    s.first_seen_unix_ms = host.first_seen_ms + to_unix;
    s.last_seen_unix_ms = host.last_seen_ms + to_unix;
    s.last_send_time_ms = host.last_send_time_ms;
    s.beats = host.beats;
    s.lost = host.lost;
    s.restarts = host.restarts;
    s.duplicates = host.duplicates;
    s.transitions = host.transitions.shifted(to_unix);
    return s;
}

void Monitor::expire(std::int64_t now_ms) {
    liveness_.expire(now_ms, [&](LivenessNode& n, Change change) {
        HostRecord& h = registry_.at(n.host_id);
        const std::int64_t silent_for_ms = now_ms - h.last_seen_ms;
        switch (change) {
            case Change::silent:
                h.transitions.push({now_ms, h.last_seen_ms, TransitionKind::silent});
                events_.on_event(HostSilent{event_host(h), now_ms, silent_for_ms,
                                            h.sequence.highest(), n.timeout_ms,
                                            read_detector(n, now_ms)});
                break;
            case Change::flapping:
                h.transitions.push({now_ms, h.last_seen_ms, TransitionKind::flapping});
                events_.on_event(HostFlapping{event_host(h), now_ms, silent_for_ms, n.timeout_ms,
                                              read_detector(n, now_ms)});
                break;
            case Change::silent_damped:
                break;
            case Change::settled:
                h.transitions.push({now_ms, h.last_seen_ms,
                                    n.state == HostState::silent ? TransitionKind::settled_silent
                                                                 : TransitionKind::settled_up});
                events_.on_event(HostSettled{event_host(h), now_ms, n.state, silent_for_ms,
                                             read_detector(n, now_ms)});
                break;
            case Change::probe:
                if (n.probe->sent == 1) n.probe->nonce = next_nonce();
                send_control(ControlType::probe, h, n.probe->nonce + n.probe->sent - 1,
                             now_ms + unix_offset_ms_);
                ++stats_.probes;
                break;
            case Change::held:
                if (now_ms >= held_report_due_ms_) {
                    events_.on_event(
                        VerdictsHeld{now_ms, liveness_.suspected_count(), liveness_.up_count()});
                    held_report_due_ms_ = now_ms + kMetricsRefusedReportMs;
                }
                break;
        }
    });
    stats_.probes_over_budget = liveness_.probes_over_budget();
    if (stats_.probes_over_budget != budget_reported_ && now_ms >= budget_report_due_ms_) {
        events_.on_event(ProbeBudgetSpent{now_ms, stats_.probes_over_budget - budget_reported_,
                                          liveness_.config().probe.budget_per_s});
        budget_reported_ = stats_.probes_over_budget;
        budget_report_due_ms_ = now_ms + kMetricsRefusedReportMs;
    }
}

void Monitor::server_stalled(std::int64_t now_ms, std::int64_t stalled_ms) {
    ++stats_.stalls;
    liveness_.hold_until(now_ms + stalled_ms);
    events_.on_event(ServerStalled{now_ms, stalled_ms, now_ms + stalled_ms});
}

void Monitor::report(std::int64_t now_ms) {
    std::vector<HostRecord*> forget;
    SilentSummary summary;
    summary.at_ms = now_ms;
    liveness_.for_each_silent([&](LivenessNode& n) {
        HostRecord& h = registry_.at(n.host_id);
        if (now_ms - h.last_seen_ms >= config_.forget_after_ms) {
            forget.push_back(&h);
        } else {
            report_refused_metrics(h, now_ms);
            summary.silent.push_back({std::string(h.name), now_ms - h.last_seen_ms});
        }
    });
    for (HostRecord* h : forget) {
        events_.on_event(HostForgotten{event_host(*h), now_ms, now_ms - h->last_seen_ms});
        for (const HostMetric& m : h->metrics) {
            if (m.series != nullptr) m.series->unpin();
        }
        if (track_forgotten_) forgotten_.emplace_back(h->name);
        liveness_.remove(h->liveness);
        registry_.remove(*h);
    }
    std::stable_sort(
        summary.silent.begin(), summary.silent.end(),
        [](const SilentHost& a, const SilentHost& b) { return a.silent_for_ms > b.silent_for_ms; });
    summary.up = liveness_.up_count();
    summary.flapping = liveness_.flapping_count();
    events_.on_event(std::move(summary));
}

}  // namespace beat
