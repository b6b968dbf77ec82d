#include "beat_server/sim/simulator.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <queue>
#include <string>
#include <string_view>
#include <variant>

#include "beat_client/core/jitter.hpp"
#include "beat_server/core/ingest/datagram_out.hpp"
#include "beat_server/sim/link.hpp"
#include "common/control.hpp"
#include "common/wire.hpp"

namespace beat::sim {
namespace {

constexpr std::int64_t kEpochMs = 1'700'000'000'000;  // Unix time at the simulated clock's zero.
constexpr double kHourMs = 3'600'000;

// What a real agent's beat carries by default (docs/agent_metrics.md), for counting bytes.
const std::vector<Metric> kUsualMetrics = {
    {"cpu", 0},    {"mem.used_pct", 0}, {"mem.avail_bytes", 0}, {"load.1", 0},
    {"load.5", 0}, {"load.15", 0},      {"uptime", 0},          {"agent.rss_bytes", 0}};
// The server's glue reports a stall of its loop to the monitor from this lateness of a timer.
constexpr std::int64_t kStallReportMs = 250;
// Mixed into a host's seed for its channel's stream, so that the agent's own draws stay as they
// were without the channel.
constexpr std::uint64_t kChannelSeed = 0x9e37'79b9'7f4a'7c15;
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

// One simulated host: its agent's timers, its links' state and its life.
struct Host {
    explicit Host(std::uint64_t seed) : rng(seed), channel(seed ^ kChannelSeed) {}
    std::string name;
    SourceAddress address;
    Random rng;      // The agent's timing and life, and its beats' losses and delays.
    Random channel;  // Losses and delays of acknowledgements, probes and answers.
    LinkChain to_server;
    LinkChain to_agent;
    std::size_t beat_bytes = 0;  // The size of each of its beats.
    double clock_rate = 1;
    bool alive = true;
    bool death_reported = false;
    bool heard = false;             // One of its beats has reached the server.
    std::uint64_t incarnation = 0;  // Events of an earlier incarnation are ignored.
    std::uint64_t sequence = 0;
    std::int64_t born_ms = 0;  // When the current life began.
    std::int64_t died_ms = 0;
    std::int64_t next_stall_ms = kNever;
    std::int64_t stalled_from_ms = 0;               // The latest stall that has begun...
    std::int64_t thaw_ms = 0;                       // ...and its end.
    std::optional<std::int64_t> mistaken_since_ms;  // Reported silent while alive, since then.

    // Whether the agent is frozen at `now_ms`: in a stall, or past the start of the next one.
    bool stalled(std::int64_t now_ms) const noexcept {
        return now_ms >= next_stall_ms || (now_ms >= stalled_from_ms && now_ms < thaw_ms);
    }
};

enum class EventKind : std::uint8_t { send, arrive, die, restart, probe, answer };

struct Event {
    std::int64_t at_ms;
    std::uint64_t order;  // Simultaneous events run in the order they were scheduled.
    std::uint32_t host;
    EventKind kind;
    std::uint64_t incarnation;
    // arrive: the beat's sequence number; probe, answer: the probe's nonce.
    std::uint64_t number = 0;
    std::int64_t send_time_ms = 0;  // arrive, answer: the send time (Unix ms).

    bool operator>(const Event& o) const noexcept {
        return at_ms != o.at_ms ? at_ms > o.at_ms : order > o.order;
    }
};

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

// The index of the host named `name` ("h" and the index), or nullopt for any other name.
std::optional<std::uint32_t> index_of(std::string_view name, std::size_t hosts) {
    if (name.size() < 2 || name.size() > 10 || name[0] != 'h') return std::nullopt;
    std::uint64_t i = 0;
    for (char c : name.substr(1)) {
        if (c < '0' || c > '9') return std::nullopt;
        i = i * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (i >= hosts) return std::nullopt;
    return static_cast<std::uint32_t>(i);
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
            if (e->state == HostState::silent) {
                down(e->host.name, e->at_ms);
            } else {
                back(e->host.name, e->at_ms);
            }
        } else if (const auto* e = std::get_if<HostBack>(&event)) {
            back(e->host.name, e->at_ms);
        } else if (const auto* e = std::get_if<HostFlapping>(&event)) {
            if (host(e->host.name).alive) ++result_.false_flapping;
        }
    }

    // A death at `now_ms` of a host the monitor already holds silent is reported at once; a
    // mistake about it ends.
    void died(Host& host, const LivenessNode* node, std::int64_t now_ms) {
        end_mistake(host, now_ms);
        if (node != nullptr && node->state == HostState::silent) reported(host, now_ms);
    }

    // Ends the mistakes still running at the end of the run.
    void finish(std::int64_t end_ms) {
        for (Host& h : hosts_)
            end_mistake(h, end_ms);
    }

  private:
    Host& host(std::string_view name) { return hosts_[*index_of(name, hosts_.size())]; }
    void down(std::string_view name, std::int64_t now_ms) {
        Host& host = this->host(name);
        if (host.alive) {
            ++result_.false_silent;
            if (!host.mistaken_since_ms) host.mistaken_since_ms = now_ms;
        } else if (!host.death_reported) {
            reported(host, now_ms);
        }
    }
    void back(std::string_view name, std::int64_t now_ms) { end_mistake(host(name), now_ms); }
    void end_mistake(Host& host, std::int64_t now_ms) {
        if (!host.mistaken_since_ms) return;
        ++result_.mistakes;
        result_.mistake_intervals +=
            static_cast<double>(now_ms - *host.mistaken_since_ms) / interval_;
        host.mistaken_since_ms.reset();
    }
    void reported(Host& host, std::int64_t now_ms) {
        host.death_reported = true;
        result_.detections.push_back(static_cast<double>(now_ms - host.died_ms) / interval_);
    }

    std::vector<Host>& hosts_;
    double interval_;
    RunResult& result_;
};

class Fleet final : public DatagramOut {
  public:
    Fleet(const Scenario& s, const MonitorConfig& config, const RunOptions& o, RunResult& r)
        : s_(s),
          result_(r),
          referee_(hosts_, s, r),
          monitor_(config, store_, referee_, this),
          next_server_stall_ms_(s.server.stall_every_ms > 0 ? s.server.stall_every_ms : kNever) {
        Random seeds(o.seed);
        hosts_.reserve(o.hosts);
        for (std::uint32_t i = 0; i < o.hosts; ++i) {
            Host& h = hosts_.emplace_back(seeds.next());
            h.name = fmt::format("h{}", i);
            h.address = address_of(i);
            // The monitor is handed bare beats (the detector reads no metric); the bytes are
            // counted as a real agent's beat of the usual 8 metrics would take.
            h.beat_bytes = encode_datagram(beat_of(h, 0, 0, 0), kUsualMetrics, 0, 1).size();
            h.clock_rate = s.agent.clock_rate_min +
                           (s.agent.clock_rate_max - s.agent.clock_rate_min) * h.rng.unit();
            start(i, 0);
        }
    }

    void run(std::int64_t end_ms) {
        for (;;) {
            const std::int64_t next = events_.empty() ? end_ms + 1 : events_.top().at_ms;
            if (stalled_until_ms_) {
                // Agents go on while the server's loop stands still; what arrives waits.
                if (next < *stalled_until_ms_ && next <= end_ms) {
                    pop_and_handle();
                } else if (*stalled_until_ms_ <= end_ms) {
                    end_server_stall();
                } else {
                    break;
                }
                continue;
            }
            // The server's detector timer fires at the earliest deadline, to the millisecond.
            const auto deadline = monitor_.next_deadline();
            if (deadline && *deadline <= next && *deadline <= end_ms &&
                *deadline <= next_server_stall_ms_) {
                now_ms_ = *deadline;
                monitor_.expire(*deadline);
                continue;
            }
            if (next_server_stall_ms_ <= next && next_server_stall_ms_ <= end_ms) {
                stalled_until_ms_ = next_server_stall_ms_ + s_.server.stall_ms;
                next_server_stall_ms_ += s_.server.stall_every_ms;
                continue;
            }
            if (next > end_ms) break;
            pop_and_handle();
        }
        referee_.finish(end_ms);
        for (Host& h : hosts_) {
            if (h.alive)
                result_.alive_host_hours += static_cast<double>(end_ms - h.born_ms) / kHourMs;
        }
        result_.monitor = monitor_.stats();
        for (std::size_t j = 0; j < result_.judged.size(); ++j)
            result_.judged[j] = monitor_.liveness().judged_count(static_cast<JudgedBy>(j));
    }

    // The monitor's acknowledgements and probes: counted, and carried over the host's link
    // towards its agent (acknowledgements go no further than that).
    void send(std::string_view bytes, const SourceAddress& to) noexcept override {
        ControlView c;
        if (decode_control(bytes, c) != DecodeError::ok) return;
        const auto i = index_of(c.host, hosts_.size());
        if (!i || !(hosts_[*i].address == to)) return;
        Host& h = hosts_[*i];
        const auto delay = h.to_agent.carry(s_.to_agent, h.channel);
        if (c.type == ControlType::ack) {
            ++result_.acks;
            result_.ack_bytes += bytes.size();
        } else if (c.type == ControlType::probe) {
            ++result_.probes;
            result_.probe_bytes += bytes.size();
            if (!h.heard) ++result_.probes_to_unheard;
            if (delay) {
                events_.push(
                    {now_ms_ + *delay, order_++, *i, EventKind::probe, c.incarnation, c.number});
            }
        }
    }

  private:
    static Heartbeat beat_of(const Host& h, std::uint64_t incarnation, std::uint64_t sequence,
                             std::int64_t send_time_ms) {
        Heartbeat hb;
        hb.host = h.name;
        hb.incarnation = incarnation;
        hb.sequence = sequence;
        hb.send_time_ms = send_time_ms;
        return hb;
    }

    void schedule(std::int64_t at_ms, std::uint32_t host, EventKind kind) {
        events_.push({at_ms, order_++, host, kind, hosts_[host].incarnation});
    }

    void pop_and_handle() {
        const Event e = events_.top();
        events_.pop();
        handle(e);
    }

    // The end of a stall of the server's loop, as its glue sees it: the detector timer fires as
    // late as it is, reporting the stall to the monitor when a deadline was missed by at least
    // kStallReportMs; then the datagrams that waited are read, in the order they arrived.
    void end_server_stall() {
        const std::int64_t end = *stalled_until_ms_;
        stalled_until_ms_.reset();
        now_ms_ = end;
        const auto deadline = monitor_.next_deadline();
        if (deadline && *deadline < end) {
            if (end - *deadline >= kStallReportMs) {
                ++result_.server_stalls;
                monitor_.server_stalled(end, end - *deadline);
            }
            monitor_.expire(end);
        }
        for (const Event& e : waiting_)
            deliver(e, end);
        waiting_.clear();
    }

    // Hands a beat or an answer that arrived to the monitor at `now_ms`.
    void deliver(const Event& e, std::int64_t now_ms) {
        Host& h = hosts_[e.host];
        now_ms_ = now_ms;
        if (e.kind == EventKind::arrive) {
            h.heard = true;
            Heartbeat hb = beat_of(h, e.incarnation, e.number, e.send_time_ms);
            hb.interval_ms = s_.agent.interval_ms;
            monitor_.on_datagram(encode_datagram(hb, {}, 0, 1), h.address, now_ms,
                                 kEpochMs + now_ms);
        } else {
            encode_control(
                {ControlType::answer, h.name, e.incarnation, e.number, e.send_time_ms, {}}, nullptr,
                answer_);
            monitor_.on_datagram(answer_, h.address, now_ms, kEpochMs + now_ms);
        }
    }

    // A new life for host `i` at `now_ms`: a new agent incarnation, beating from its first beat.
    void start(std::uint32_t i, std::int64_t now_ms) {
        Host& h = hosts_[i];
        h.alive = true;
        h.death_reported = false;
        h.born_ms = now_ms;
        h.incarnation = h.rng.next();
        h.sequence = 0;
        h.thaw_ms = 0;
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
        switch (e.kind) {
            case EventKind::arrive:
            case EventKind::answer:
                // Datagrams still in flight from an earlier incarnation arrive all the same.
                if (stalled_until_ms_) {
                    waiting_.push_back(e);
                } else {
                    deliver(e, e.at_ms);
                }
                return;
            case EventKind::probe:
                // Whichever agent runs on the host now answers, with its own incarnation.
                if (h.alive && s_.agent.answers && !h.stalled(e.at_ms)) answer(e.host, e);
                return;
            default:
                break;
        }
        if (e.incarnation != h.incarnation) return;
        switch (e.kind) {
            case EventKind::send:
                if (h.alive) send_beat(e.host, e.at_ms);
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
            default:
                break;
        }
    }

    // The agent of host `i` answers the probe `probe` at once, over its link to the server.
    void answer(std::uint32_t i, const Event& probe) {
        Host& h = hosts_[i];
        encode_control({ControlType::answer, h.name, h.incarnation, probe.number, 0, {}}, nullptr,
                       answer_);
        ++result_.answers;
        result_.answer_bytes += answer_.size();
        if (const auto delay = h.to_server.carry(s_.to_server, h.channel)) {
            events_.push({probe.at_ms + *delay, order_++, i, EventKind::answer, h.incarnation,
                          probe.number, kEpochMs + probe.at_ms});
        }
    }

    void send_beat(std::uint32_t i, std::int64_t now_ms) {
        Host& h = hosts_[i];
        const AgentModel& a = s_.agent;
        if (now_ms >= h.next_stall_ms) {
            // The agent froze at next_stall_ms: this beat goes out when it thaws.
            h.stalled_from_ms = h.next_stall_ms;
            h.thaw_ms = h.next_stall_ms + uniform_ms(h.rng, a.stall_min_ms, a.stall_max_ms);
            h.next_stall_ms = h.thaw_ms + static_cast<std::int64_t>(
                                              exponential(h.rng, kHourMs / a.stalls_per_hour));
            if (h.thaw_ms > now_ms) {
                schedule(h.thaw_ms, i, EventKind::send);
                return;
            }
        }
        ++result_.beats_sent;
        result_.beat_bytes += h.beat_bytes;
        const std::uint64_t sequence = ++h.sequence;
        if (const auto delay = h.to_server.carry(s_.to_server, h.rng)) {
            events_.push({now_ms + *delay, order_++, i, EventKind::arrive, h.incarnation, sequence,
                          kEpochMs + now_ms});
        } else {
            ++result_.beats_lost;
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
    std::int64_t now_ms_ = 0;  // The simulated time of the monitor's current call.
    std::int64_t next_server_stall_ms_;
    std::optional<std::int64_t> stalled_until_ms_;  // While the server's loop stalls.
    std::vector<Event> waiting_;  // Arrived while the server's loop stalled, in order.
    std::string answer_;          // Reused for every answer.
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

double RunResult::mean_mistake_intervals() const noexcept {
    return mistakes > 0 ? mistake_intervals / static_cast<double>(mistakes)
                        : std::numeric_limits<double>::quiet_NaN();
}

double RunResult::probe_share() const noexcept {
    return beat_bytes > 0
               ? static_cast<double>(probe_bytes + answer_bytes) / static_cast<double>(beat_bytes)
               : 0;
}

double RunResult::ack_share() const noexcept {
    return beat_bytes > 0 ? static_cast<double>(ack_bytes) / static_cast<double>(beat_bytes) : 0;
}

RunResult run(const Scenario& scenario, const MonitorConfig& config, const RunOptions& options) {
    RunResult result;
    Fleet fleet(scenario, config, options, result);
    fleet.run(static_cast<std::int64_t>(options.hours * kHourMs));
    return result;
}

}  // namespace beat::sim
