#include "beat_server/sim/simulator.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <queue>
#include <string>
#include <string_view>
#include <variant>

#include "beat_client/core/jitter.hpp"
#include "common/wire.hpp"

namespace beat::sim {
namespace {

constexpr std::int64_t kEpochMs = 1'700'000'000'000;  // Unix time at the simulated clock's zero.
constexpr double kHourMs = 3'600'000;

// One simulated host: its agent's timers, its link's state and its life.
struct Host {
    explicit Host(std::uint64_t seed) : rng(seed) {}
    std::string name;
    SourceAddress address;
    Random rng;
    double clock_rate = 1;
    bool alive = true;
    bool death_reported = false;
    bool in_burst = false;
    std::uint64_t incarnation = 0;  // Events of an earlier incarnation are ignored.
    std::uint64_t sequence = 0;
    std::int64_t born_ms = 0;  // When the current life began.
    std::int64_t died_ms = 0;
    std::int64_t next_stall_ms = std::numeric_limits<std::int64_t>::max();
};

enum class EventKind : std::uint8_t { send, arrive, die, restart };

struct Event {
    std::int64_t at_ms;
    std::uint64_t order;  // Simultaneous events run in the order they were scheduled.
    std::uint32_t host;
    EventKind kind;
    std::uint64_t incarnation;
    std::uint64_t sequence = 0;     // arrive: the beat's sequence number...
    std::int64_t send_time_ms = 0;  // ...and its send time (Unix ms).

    bool operator>(const Event& o) const noexcept {
        return at_ms != o.at_ms ? at_ms > o.at_ms : order > o.order;
    }
};

double exponential(Random& rng, double mean) {
    return -mean * std::log1p(-rng.unit());
}

std::int64_t uniform_ms(Random& rng, std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(rng.unit() * static_cast<double>(hi - lo));
}

SourceAddress address_of(std::uint32_t index) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(40'000);
    a.sin_addr.s_addr = htonl(0x0a000000u + index);  // 10.x.y.z
    return SourceAddress(reinterpret_cast<const sockaddr*>(&a));
}

// Watches the monitor's reports and scores them against what really happened.
class Referee final : public EventSink {
  public:
    Referee(std::vector<Host>& hosts, const Scenario& s, RunResult& r)
        : hosts_(hosts), interval_(s.agent.interval_ms), result_(r) {}

    // (beat::Event: the monitor's events; Event alone names the simulation's own.)
    void on_event(const beat::Event& event) override {
        if (const auto* e = std::get_if<HostSilent>(&event)) {
            down(e->host.name, e->at_ms);
        } else if (const auto* e = std::get_if<HostSettled>(&event)) {
            if (e->state == HostState::silent) down(e->host.name, e->at_ms);
        } else if (const auto* e = std::get_if<HostFlapping>(&event)) {
            if (host(e->host.name).alive) ++result_.false_flapping;
        }
    }

    // A death at `now_ms` of a host the monitor already holds silent is reported at once.
    void died(Host& host, const LivenessNode* node, std::int64_t now_ms) {
        if (node != nullptr && node->state == HostState::silent) reported(host, now_ms);
    }

  private:
    Host& host(std::string_view name) {
        // Names are "h" and the host's index.
        std::uint32_t i = 0;
        for (char c : name.substr(1))
            i = i * 10 + static_cast<std::uint32_t>(c - '0');
        return hosts_[i];
    }
    void down(std::string_view name, std::int64_t now_ms) {
        Host& host = this->host(name);
        if (host.alive) {
            ++result_.false_silent;
        } else if (!host.death_reported) {
            reported(host, now_ms);
        }
    }
    void reported(Host& host, std::int64_t now_ms) {
        host.death_reported = true;
        result_.detections.push_back(static_cast<double>(now_ms - host.died_ms) / interval_);
    }

    std::vector<Host>& hosts_;
    double interval_;
    RunResult& result_;
};

class Fleet {
  public:
    Fleet(const Scenario& s, const MonitorConfig& config, const RunOptions& o, RunResult& r)
        : s_(s), result_(r), referee_(hosts_, s, r), monitor_(config, store_, referee_) {
        Random seeds(o.seed);
        hosts_.reserve(o.hosts);
        for (std::uint32_t i = 0; i < o.hosts; ++i) {
            Host& h = hosts_.emplace_back(seeds.next());
            h.name = fmt::format("h{}", i);
            h.address = address_of(i);
            h.clock_rate = s.agent.clock_rate_min +
                           (s.agent.clock_rate_max - s.agent.clock_rate_min) * h.rng.unit();
            start(i, 0);
        }
    }

    void run(std::int64_t end_ms) {
        for (;;) {
            const std::int64_t next = events_.empty() ? end_ms + 1 : events_.top().at_ms;
            // The server's detector timer fires at the earliest deadline, to the millisecond.
            const auto deadline = monitor_.next_deadline();
            if (deadline && *deadline <= next && *deadline <= end_ms) {
                monitor_.expire(*deadline);
                continue;
            }
            if (next > end_ms) break;
            const Event e = events_.top();
            events_.pop();
            handle(e);
        }
        for (Host& h : hosts_) {
            if (h.alive)
                result_.alive_host_hours += static_cast<double>(end_ms - h.born_ms) / kHourMs;
        }
    }

  private:
    void schedule(std::int64_t at_ms, std::uint32_t host, EventKind kind) {
        events_.push({at_ms, order_++, host, kind, hosts_[host].incarnation});
    }

    // A new life for host `i` at `now_ms`: a new agent incarnation, beating from its first beat.
    void start(std::uint32_t i, std::int64_t now_ms) {
        Host& h = hosts_[i];
        h.alive = true;
        h.death_reported = false;
        h.born_ms = now_ms;
        h.incarnation = h.rng.next();
        h.sequence = 0;
        const AgentModel& a = s_.agent;
        if (a.stalls_per_hour > 0) {
            h.next_stall_ms =
                now_ms + static_cast<std::int64_t>(exponential(h.rng, kHourMs / a.stalls_per_hour));
        }
        schedule(now_ms + first_beat_delay_ms(a.interval_ms, a.jitter, h.rng), i, EventKind::send);
        schedule(now_ms + static_cast<std::int64_t>(
                              exponential(h.rng, s_.life.mean_life_hours * kHourMs)),
                 i, EventKind::die);
    }

    void handle(const Event& e) {
        Host& h = hosts_[e.host];
        if (e.kind == EventKind::arrive) {
            // Beats still in flight from an earlier incarnation arrive all the same.
            Heartbeat hb;
            hb.host = h.name;
            hb.incarnation = e.incarnation;
            hb.sequence = e.sequence;
            hb.send_time_ms = e.send_time_ms;
            hb.interval_ms = s_.agent.interval_ms;
            monitor_.on_datagram(encode_datagram(hb, {}, 0, 1), h.address, e.at_ms,
                                 kEpochMs + e.at_ms);
            return;
        }
        if (e.incarnation != h.incarnation) return;
        switch (e.kind) {
            case EventKind::send:
                if (h.alive) send(e.host, e.at_ms);
                break;
            case EventKind::die: {
                h.alive = false;
                h.died_ms = e.at_ms;
                ++result_.deaths;
                result_.alive_host_hours += static_cast<double>(e.at_ms - h.born_ms) / kHourMs;
                const HostRecord* record = monitor_.registry().find(h.name);
                referee_.died(h, record ? &record->liveness : nullptr, e.at_ms);
                schedule(e.at_ms + uniform_ms(h.rng, s_.life.down_min_ms, s_.life.down_max_ms),
                         e.host, EventKind::restart);
                break;
            }
            case EventKind::restart:
                if (!h.death_reported) ++result_.missed;
                start(e.host, e.at_ms);
                break;
            case EventKind::arrive:
                break;
        }
    }

    void send(std::uint32_t i, std::int64_t now_ms) {
        Host& h = hosts_[i];
        const AgentModel& a = s_.agent;
        if (now_ms >= h.next_stall_ms) {
            // The agent froze at next_stall_ms: this beat goes out when it thaws.
            const std::int64_t thaw =
                h.next_stall_ms + uniform_ms(h.rng, a.stall_min_ms, a.stall_max_ms);
            h.next_stall_ms =
                thaw + static_cast<std::int64_t>(exponential(h.rng, kHourMs / a.stalls_per_hour));
            if (thaw > now_ms) {
                schedule(thaw, i, EventKind::send);
                return;
            }
        }
        ++result_.beats_sent;
        const std::uint64_t sequence = ++h.sequence;
        const LinkModel& l = s_.link;
        if (!h.in_burst && l.burst_start > 0 && h.rng.unit() < l.burst_start) h.in_burst = true;
        const bool lost = h.rng.unit() < (h.in_burst ? l.burst_loss : l.loss);
        if (h.in_burst && h.rng.unit() < 1 / l.burst_mean_beats) h.in_burst = false;
        if (lost) {
            ++result_.beats_lost;
        } else {
            const auto delay =
                l.delay_ms + std::llround(exponential(h.rng, l.delay_jitter_mean_ms));
            events_.push({now_ms + delay, order_++, i, EventKind::arrive, h.incarnation, sequence,
                          kEpochMs + now_ms});
        }
        const auto next = static_cast<double>(next_beat_delay_ms(a.interval_ms, a.jitter, h.rng));
        schedule(now_ms + std::llround(next * h.clock_rate), i, EventKind::send);
    }

    const Scenario& s_;
    RunResult& result_;
    std::vector<Host> hosts_;
    Store store_;
    Referee referee_;
    Monitor monitor_;
    std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
    std::uint64_t order_ = 0;
};

}  // namespace

double RunResult::per_1000_host_hours(std::uint64_t count) const noexcept {
    return alive_host_hours > 0 ? static_cast<double>(count) * 1000 / alive_host_hours : 0;
}

double RunResult::detection_quantile(double q) const {
    if (detections.empty()) return std::numeric_limits<double>::quiet_NaN();
    std::vector<double> sorted = detections;
    std::sort(sorted.begin(), sorted.end());
    const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
    return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

RunResult run(const Scenario& scenario, const MonitorConfig& config, const RunOptions& options) {
    RunResult result;
    Fleet fleet(scenario, config, options, result);
    fleet.run(static_cast<std::int64_t>(options.hours * kHourMs));
    return result;
}

}  // namespace beat::sim
