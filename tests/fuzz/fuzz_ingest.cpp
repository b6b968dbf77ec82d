// Fuzz driver for the ingest policy: Monitor (beat_server/core/ingest/monitor.hpp) given the
// datagrams of a few agents on a fake clock, sent, lost, reordered, sent again and altered, with
// its expiry and periodic report in between. The decoders have their own drivers; this one is
// about what the monitor makes of datagrams that decode.
//
// The input is a small program. Byte 0 picks the settings: bits 0-1 the authentication mode
// (off, optional, required, required), bit 2 the phi detector, bit 3 a fixed 2.5 s timeout,
// bits 4-5 max_hosts (2 to 5), bit 6 a store of 16 keys, bit 7 flap damping after 2 silences.
// Byte 1: bit 0 the probe detector, bit 1 a budget of 3 probes a second, bit 2 an ack for every
// beat, bit 3 a plans file (README "Plans"), swapped for another at every report. Agents start on
// their local settings (no plan), say in their beats which plan they run, and apply every plan
// sent to their run. Then up to kMaxOps ops, each an opcode byte and its arguments (a missing
// byte reads as 0); the opcode modulo 14 is 0 advance, 1 to 4 beat, 5 restart, 6 jump, 7 and 8
// send, 9 mutate, 10 expire, 11 report, 12 answer, 13 pyhb:
//   advance MS16            the fake clock moves on by 0 to 65535 ms;
//   beat H STEP M PARTS SEND  agent H (web1, web2, db: keyed; nokey: no key) moves its sequence
//                           on by STEP (0 repeats it) and builds a beat of M % 8 metrics from its
//                           64 names, in 1 to 3 parts or as up to 3 parts of up to 255; bit i of
//                           SEND sends part i now, the others are held (lost, until a later send);
//   restart H B             agent H starts a new incarnation (a larger number), its sequence at
//                           B and its interval one of four;
//   jump H U64              agent H's next sequence is U64 (huge gaps, going back);
//   send J16                datagram J (mod the number built) is sent, again or for the first time;
//   mutate J16 POS16 X K    datagram J altered (byte POS xored with X, cut at POS or grown by one
//                           byte) is sent; K odd: then signed again with its host's key, as an
//                           agent holding the key could;
//   expire, report          Monitor::expire() and Monitor::report() at the fake clock;
//   answer HOW ...          an answer to the latest probe, right or wrong (see answer());
//   pyhb A                  a PyHeartBeat datagram ("PyHB") from one of three other addresses.
// Agents sign with their key when they have one; their clocks run on the server's, a few seconds
// apart and never backwards, as agents' clocks do.
//
// Invariants, after every op (the driver keeps its own account of what was accepted):
// - stats add up: datagrams = rejected + refused + duplicates + accepted, each by-reason array
//   sums to its total, late <= accepted, metrics + metrics_refused + metrics_host_limit = the
//   metric records of the accepted datagrams;
// - a datagram not accepted changes no host (beats, lost, last_seen, state, address, metrics...;
//   only its duplicate count) and reports at most one InvalidDatagram or DatagramRefused; an
//   accepted one reports at most one HostNew (iff the host was unknown), HostBack (only if it
//   was silent) or HostRestarted, about its own host;
// - a beat is never counted twice: within one incarnation of a host, beats grows by exactly the
//   distinct sequence numbers accepted, and under required authentication (with genuine agents)
//   no incarnation is ever followed twice, so no (host, incarnation, sequence) counts twice;
// - lost never wraps: within an incarnation it grows by exactly the sequence numbers after the
//   first one accepted, up to the highest, that were not accepted (or stops at its largest value);
// - a replay is never a sign of life: a datagram sent again after it was accepted, while its host
//   follows the same incarnation, is not accepted (so, from the above, it moves neither last_seen
//   nor a silent host back up); under required authentication no datagram of an agent's earlier
//   incarnation is accepted once the host follows a later one;
// - per-host state stays in bounds: registry size <= max_hosts, parts_seen only holds parts
//   accepted for the newest sequence, a host's metric slots <= the distinct names it sent and
//   <= max_metrics_per_host();
// - every event about a host names one the registry knows at that moment; expire() reports only
//   hosts that were up (silent) and leaves them silent; report() forgets only silent hosts;
// - a PyHB datagram is a beat of the host named by its source address (refused under required
//   authentication or beyond max_hosts): never numbered (lost stays 0, a return's loss unknown),
//   its interval legacy_interval_ms, its beats one per datagram, nothing ever sent to it;
// - every plan sent is the plan the host should run (its plan's body and version, or the local
//   plan when it has none), to a host whose agent said it runs another, signed exactly when the
//   host has a key, at most kMaxPlanSends in any kPlanResendWindowMs per host, each counted; a
//   PlanApplied names the datagram's host, running the version it should.
#include <algorithm>
#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <arpa/inet.h>

#include "beat_server/core/ingest/monitor.hpp"
#include "common/auth_tag.hpp"
#include "common/control.hpp"
#include "common/key_ring.hpp"
#include "common/wire.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace beat::fuzz {
namespace {

constexpr std::size_t kMaxOps = 256;
constexpr std::int64_t kUnixAtZero = 1'700'000'000'000;  // Unix ms when the fake clock reads 0.
constexpr std::size_t kNamesPerAgent = 64;

// The most metric slots one host may hold: the monitor's cap, which make_config() sets below the
// agents' 64 names so that it is reached.
std::size_t max_metrics_per_host(const MonitorConfig& config) {
    return config.max_metrics_per_host;
}

// The plans a driver with plans swaps between: web1 and web2 with a plan of their own and the rest
// a default; then only db and nokey with a plan, so that the others are sent the local plan.
const std::shared_ptr<const PlanBook>& plan_book(std::size_t which) {
    static const std::shared_ptr<const PlanBook> books[] = {
        std::make_shared<const PlanBook>(PlanBook::parse(
            "[plans.web]\nhosts = [\"web?\"]\ninterval = 1\ncollectors = { cpu = 1 }\n"
            "[plans.default]\ninterval = \"5s\"\n",
            "a.toml")),
        std::make_shared<const PlanBook>(
            PlanBook::parse("[plans.db]\nhosts = [\"db\", \"nokey\"]\ninterval = 2\n", "b.toml")),
    };
    return books[which];
}

const KeyRing& key_ring() {
    static const KeyRing ring =
        KeyRing::parse("web1 " + std::string(64, 'a') + "\nweb2 " + std::string(64, 'b') + "\ndb " +
                       std::string(64, 'c') + "\n");
    return ring;
}

SourceAddress address(std::uint8_t last, std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(0x0a000000U | last);
    return SourceAddress(reinterpret_cast<const sockaddr*>(&a));
}

// The input, read a byte at a time; past its end every byte reads as 0.
class Program {
  public:
    explicit Program(std::string_view bytes) : rest_(bytes) {}
    bool done() const { return rest_.empty(); }
    std::uint8_t u8() {
        if (rest_.empty()) return 0;
        const auto b = static_cast<std::uint8_t>(rest_.front());
        rest_.remove_prefix(1);
        return b;
    }
    std::uint16_t u16() { return static_cast<std::uint16_t>(u8() | (u8() << 8)); }
    std::uint64_t u64() {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i)
            v |= std::uint64_t{u8()} << (8 * i);
        return v;
    }
    // Up to `n` bytes, fewer when the input ends first.
    std::string_view bytes(std::size_t n) {
        const std::string_view b = rest_.substr(0, n);
        rest_.remove_prefix(b.size());
        return b;
    }

  private:
    std::string_view rest_;
};

struct Agent {
    std::string name;
    const Key* key = nullptr;  // Signs with it when set.
    SourceAddress from;
    std::int64_t clock_offset_ms = 0;
    std::uint64_t incarnation = 1;
    std::size_t run = 0;  // How many times it restarted: its incarnation's rank.
    std::map<std::uint64_t, std::size_t> runs;  // Each incarnation it had: its run.
    std::uint64_t sequence = 1;
    std::uint32_t interval_ms = 1000;
    std::size_t next_name = 0;
    std::uint32_t running = 0;  // The plan it runs, as its beats say; 0: its local settings.
};

// One datagram built, and what became of it.
struct Built {
    std::string bytes;
    bool genuine = false;   // Built by an agent as agents do (neither altered nor re-signed).
    std::size_t agent = 0;  // Genuine: the agent that built it,
    std::size_t run = 0;    // in this run.
    bool sent = false;
    bool accepted = false;
    std::uint64_t epoch = 0;  // When accepted: the host's epoch (see Shadow) at that time.
};

// The driver's account of one host the monitor knows, from the datagrams it accepted. An epoch is
// the span in which the monitor follows one incarnation of the host; every restart (and the
// host's forgetting) starts a new one.
struct Shadow {
    std::uint64_t epoch = 0;  // Unique across hosts and their forgetting.
    std::uint64_t restarts = 0;
    std::uint64_t incarnation = 0;
    std::uint64_t first = 0;            // The first sequence accepted in this epoch.
    std::uint64_t highest = 0;          // The highest sequence accepted in this epoch.
    std::set<std::uint64_t> sequences;  // Accepted in this epoch.
    std::map<std::uint64_t, std::bitset<kMaxParts>> parts;  // Parts accepted, by sequence.
    std::uint64_t beats_before = 0;                         // beats when the epoch began.
    std::uint64_t lost_before = 0;                          // lost when the epoch began.
    std::uint64_t recovered = 0;  // Late beats accepted in this epoch newer than its first.
    std::set<std::uint64_t> incarnations;             // Followed so far (every epoch).
    std::set<std::string, std::less<>> metric_names;  // Accepted from it.
    bool tainted = false;  // Accepted a datagram that no genuine agent sent.
};

// What a datagram that is not accepted must leave as it was.
struct HostView {
    std::uint64_t beats, lost, restarts, incarnation, highest, parts_sequence;
    std::bitset<kMaxParts> parts_seen;
    std::uint32_t interval_ms;
    std::int64_t last_seen_ms, last_send_time_ms, incarnation_start_ms;
    SourceAddress address;
    HostState state;
    bool flapping;
    std::vector<std::pair<std::string, double>> metrics;
    bool operator==(const HostView&) const = default;
};

HostView view(const HostRecord& h) {
    HostView v{h.beats,
               h.lost,
               h.restarts,
               h.sequence.incarnation(),
               h.sequence.highest(),
               h.parts_sequence,
               h.parts_seen,
               h.interval_ms,
               h.last_seen_ms,
               h.last_send_time_ms,
               h.incarnation_start_ms,
               h.address,
               h.liveness.state,
               h.liveness.flapping(),
               {}};
    for (const HostMetric& m : h.metrics)
        v.metrics.emplace_back(m.name, m.value);
    return v;
}

std::map<std::string, HostView, std::less<>> view(const Registry& registry) {
    std::map<std::string, HostView, std::less<>> all;
    registry.for_each([&](const HostRecord& h) { all.emplace(std::string(h.name), view(h)); });
    return all;
}

std::string_view host_of(const Event& e) {
    return std::visit(
        [](const auto& x) -> std::string_view {
            if constexpr (requires { x.host.name; }) {
                return x.host.name;
            } else {
                return {};
            }
        },
        e);
}

// Keeps the events of the current op, checking as they come that each names a known host.
struct Sink final : EventSink {
    const Monitor* monitor = nullptr;
    std::vector<Event> events;
    void on_event(const Event& e) override {
        const std::string_view host = host_of(e);
        if (!host.empty()) FUZZ_CHECK(monitor->registry().find(host) != nullptr);
        if (const auto* s = std::get_if<SilentSummary>(&e)) {
            for (const SilentHost& h : s->silent)
                FUZZ_CHECK(monitor->registry().find(h.name) != nullptr);
        }
        events.push_back(e);
    }
};

MonitorConfig make_config(std::uint8_t b, std::uint8_t extra) {
    static constexpr AuthMode kModes[] = {AuthMode::off, AuthMode::optional, AuthMode::required,
                                          AuthMode::required};
    MonitorConfig c;
    c.auth = AuthPolicy{kModes[b & 3], &key_ring(), 300'000};
    if (b & 4) c.detector.kind = DetectorKind::phi;
    if (extra & 1) c.detector.kind = DetectorKind::probe;
    if (extra & 2) c.detector.probe.budget_per_s = 3;
    c.ack_every = extra & 4 ? 1 : 4;
    if (b & 8) c.timeout_ms = 2500;
    c.max_hosts = 2 + ((b >> 4) & 3);
    if (b & 0x80) c.detector.flap.silences = 2;
    c.forget_after_ms = 60'000;
    c.max_metrics_per_host = 40;
    return c;
}

class Driver {
  public:
    Driver(std::uint8_t settings, std::uint8_t extra)
        : config_(make_config(settings, extra)),
          store_(RetentionLimits{7 * 86'400, 100'000, (settings & 0x40) ? 16U : 1'000'000U}),
          monitor_(config_, store_, sink_, &out_),
          strict_(config_.auth.mode == AuthMode::required),
          plans_((extra & 8) != 0) {
        sink_.monitor = &monitor_;
        if (plans_) monitor_.set_plans(plan_book(0));
        static constexpr std::string_view kNames[] = {"web1", "web2", "db", "nokey"};
        for (std::size_t i = 0; i < std::size(kNames); ++i) {
            Agent& a = agents_[i];
            a.name = kNames[i];
            a.key = key_ring().key_for(a.name);
            a.from = address(static_cast<std::uint8_t>(1 + i), 4000);
            a.clock_offset_ms = static_cast<std::int64_t>(i) * 1500 - 2000;
            a.incarnation = 1000 * (i + 1);
            a.runs[a.incarnation] = 0;
        }
    }

    void run(Program& p) {
        for (std::size_t ops = 0; ops < kMaxOps && !p.done(); ++ops) {
            switch (p.u8() % 14) {
                case 0:
                    now_ += p.u16();
                    break;
                case 1:
                case 2:
                case 3:
                case 4:
                    beat(p);
                    break;
                case 5:
                    restart(p);
                    break;
                case 6: {
                    Agent& a = agent(p);
                    a.sequence = p.u64();
                    break;
                }
                case 7:
                case 8:
                    resend(p.u16());
                    break;
                case 9:
                    mutate(p);
                    break;
                case 10:
                    expire();
                    break;
                case 11:
                    report();
                    break;
                case 12:
                    answer(p);
                    break;
                case 13:
                    pyhb(p);
                    break;
            }
            check_hosts();
            check_sent();
        }
    }

  private:
    Agent& agent(Program& p) { return agents_[p.u8() % agents_.size()]; }

    void beat(Program& p) {
        Agent& a = agent(p);
        a.sequence += p.u8();
        const std::uint8_t m = p.u8();
        const std::uint8_t parts_byte = p.u8();
        const std::uint8_t send = p.u8();

        Heartbeat hb;
        hb.host = a.name;
        hb.incarnation = a.incarnation;
        hb.sequence = a.sequence;
        hb.send_time_ms = kUnixAtZero + now_ + a.clock_offset_ms;
        hb.interval_ms = a.interval_ms;
        hb.plan_version = a.running;
        std::vector<Metric> metrics;
        a.next_name += m >> 3;
        for (std::size_t i = 0; i < m % 8u; ++i) {
            const std::size_t n = (a.next_name + i) % kNamesPerAgent;
            metrics.push_back({"m" + std::to_string(n), double(now_ % 1000) + double(i)});
        }
        // Which parts of how many: all of 1 to 3, or up to 3 of as many as 255.
        std::uint8_t parts = static_cast<std::uint8_t>(1 + parts_byte % 3);
        std::vector<std::uint8_t> which;
        if (parts_byte < 192) {
            for (std::uint8_t i = 0; i < parts; ++i)
                which.push_back(i);
        } else {
            parts = static_cast<std::uint8_t>(1 + parts_byte % kMaxParts);
            for (std::uint8_t i = 0; i < 3; ++i) {
                const auto part = static_cast<std::uint8_t>((parts_byte * 37u + i * 101u) % parts);
                if (std::find(which.begin(), which.end(), part) == which.end())
                    which.push_back(part);
            }
        }
        for (std::size_t i = 0; i < which.size(); ++i) {
            std::vector<Metric> mine;
            for (std::size_t k = i; k < metrics.size(); k += which.size())
                mine.push_back(metrics[k]);
            std::string d = encode_datagram(hb, mine, which[i], parts);
            if (a.key != nullptr) sign_datagram(d, *a.key);
            built_.push_back(
                {std::move(d), true, static_cast<std::size_t>(&a - agents_.data()), a.run});
            if ((send >> i) & 1U) deliver(built_.size() - 1);
        }
    }

    void restart(Program& p) {
        static constexpr std::uint32_t kIntervals[] = {1000, 100, 5000, 250};
        Agent& a = agent(p);
        const std::uint8_t b = p.u8();
        a.incarnation += 1 + (b >> 4);
        a.runs[a.incarnation] = ++a.run;
        a.sequence = b & 0x0f;
        a.interval_ms = kIntervals[b & 3];
        a.running = 0;  // A new run starts on its local settings.
    }

    void resend(std::uint16_t j) {
        if (!built_.empty()) deliver(j % built_.size());
    }

    void mutate(Program& p) {
        const std::uint16_t j = p.u16();
        const std::uint16_t pos = p.u16();
        const std::uint8_t x = p.u8();
        const std::uint8_t kind = p.u8();
        if (built_.empty()) return;
        std::string d = built_[j % built_.size()].bytes;
        switch (d.empty() ? 2 : (kind >> 1) % 3) {
            case 0:
                d[pos % d.size()] = static_cast<char>(d[pos % d.size()] ^ (x | 1));
                break;
            case 1:
                d.resize(pos % d.size());
                break;
            case 2:
                d.push_back(static_cast<char>(x));
                break;
        }
        if (kind & 1) {
            HeartbeatView hb;
            if (decode_heartbeat(d, hb) != DecodeError::ok) return;
            const Key* key = key_ring().key_for(hb.host);
            std::string body(hb.signed_bytes);
            if (key == nullptr || body.size() + kAuthTagLength > kMaxDatagram) return;
            sign_datagram(body, *key);
            d = std::move(body);
        }
        built_.push_back({std::move(d)});
        deliver(built_.size() - 1);
    }

    // Hands datagram `i` to the monitor and checks what it did with it. A genuine datagram comes
    // from its agent the first time, anything else from elsewhere.
    void deliver(std::size_t i) {
        Built& b = built_[i];
        const SourceAddress from = b.genuine && !b.sent ? agents_[b.agent].from : address(99, 6666);
        b.sent = true;
        const auto before = view(monitor_.registry());
        const IngestStats stats_before = monitor_.stats();
        sink_.events.clear();
        monitor_.on_datagram(b.bytes, from, now_, kUnixAtZero + now_);
        const IngestStats& stats = monitor_.stats();
        FUZZ_CHECK(stats.datagrams == stats_before.datagrams + 1);
        const bool accepted = stats.accepted != stats_before.accepted;
        check_stats();

        HeartbeatView hb;
        const bool decoded = decode_heartbeat(b.bytes, hb) == DecodeError::ok;
        if (!accepted) {
            FUZZ_CHECK(sink_.events.size() <= 1);
            for (const Event& e : sink_.events)
                FUZZ_CHECK(std::holds_alternative<InvalidDatagram>(e) ||
                           std::holds_alternative<DatagramRefused>(e));
            FUZZ_CHECK(view(monitor_.registry()) == before);
            FUZZ_CHECK(stats.metrics == stats_before.metrics &&
                       stats.metrics_refused == stats_before.metrics_refused &&
                       stats.metrics_host_limit == stats_before.metrics_host_limit);
            return;
        }
        FUZZ_CHECK(decoded);
        FUZZ_CHECK(stats.accepted == stats_before.accepted + 1);

        // A replay is never a sign of life.
        const auto known = shadows_.find(hb.host);
        if (b.accepted && known != shadows_.end()) FUZZ_CHECK(known->second.epoch != b.epoch);
        if (strict_ && b.genuine && known != shadows_.end() && !known->second.tainted) {
            const auto& runs = agents_[b.agent].runs;
            const auto followed = runs.find(known->second.incarnation);
            FUZZ_CHECK(followed != runs.end());
            FUZZ_CHECK(b.run >= followed->second);
        }

        const auto was = before.find(hb.host);
        const HostRecord* host = monitor_.registry().find(hb.host);
        FUZZ_CHECK(host != nullptr);
        // At most one change of state, its agent running the plan sent it, and a report of the
        // host's refused metric values.
        FUZZ_CHECK(sink_.events.size() <= 3);
        std::size_t changes = 0;
        for (const Event& e : sink_.events) {
            FUZZ_CHECK(host_of(e) == hb.host);
            if (const auto* r = std::get_if<MetricsRefused>(&e)) {
                FUZZ_CHECK(r->refused > 0 && r->limit == config_.max_metrics_per_host);
                FUZZ_CHECK(&e == &sink_.events.back());
                continue;
            }
            if (const auto* a = std::get_if<PlanApplied>(&e)) {
                const HostPlanView p = monitor_.plan_of(*host);
                FUZZ_CHECK(a->version == p.wanted && p.running == p.wanted);
                FUZZ_CHECK(a->version == hb.plan_version);
                continue;
            }
            ++changes;
            if (std::holds_alternative<HostNew>(e)) {
                FUZZ_CHECK(was == before.end());
            } else if (std::holds_alternative<HostBack>(e)) {
                FUZZ_CHECK(was != before.end() && was->second.state == HostState::silent);
            } else {
                FUZZ_CHECK(std::holds_alternative<HostRestarted>(e));
            }
        }
        FUZZ_CHECK(changes <= 1);
        if (was == before.end()) FUZZ_CHECK(changes == 1);

        std::size_t records = 0;
        auto cursor = hb.metrics();
        for (MetricView m; cursor.next(m);)
            ++records;
        FUZZ_CHECK(stats.metrics + stats.metrics_refused + stats.metrics_host_limit ==
                   stats_before.metrics + stats_before.metrics_refused +
                       stats_before.metrics_host_limit + records);

        account(b, hb, *host, was == before.end(), was != before.end() ? &was->second : nullptr);
    }

    // Brings the shadow of the datagram's host up to date with its acceptance and checks beats,
    // lost and the parts against it.
    void account(Built& b, const HeartbeatView& hb, const HostRecord& host, bool is_new,
                 const HostView* was) {
        Shadow& s = shadows_[std::string(hb.host)];
        if (is_new) s = Shadow{};
        if (is_new || host.restarts != s.restarts) {
            // A new epoch: the monitor follows a new incarnation from this beat on.
            FUZZ_CHECK(is_new || host.restarts == s.restarts + 1);
            if (strict_ && !s.tainted && b.genuine)
                FUZZ_CHECK(s.incarnations.insert(hb.incarnation).second);
            s.incarnations.insert(hb.incarnation);
            s.epoch = ++epochs_;
            s.restarts = host.restarts;
            s.incarnation = hb.incarnation;
            s.first = s.highest = hb.sequence;
            s.sequences.clear();
            s.parts.clear();
            s.recovered = 0;
            s.beats_before = was != nullptr ? was->beats : 0;
            s.lost_before = was != nullptr ? was->lost : 0;
        }
        FUZZ_CHECK(hb.incarnation == s.incarnation);
        if (!b.genuine) s.tainted = true;
        b.accepted = true;
        b.epoch = s.epoch;
        if (hb.sequence > s.first && hb.sequence < s.highest && !s.sequences.contains(hb.sequence))
            ++s.recovered;
        s.sequences.insert(hb.sequence);
        s.parts[hb.sequence].set(hb.part);
        s.highest = std::max(s.highest, hb.sequence);
        auto cursor = hb.metrics();
        for (MetricView m; cursor.next(m);)
            s.metric_names.emplace(m.name);
    }

    // Answers the latest probe as its agent would, or with a nonce off by some, from its agent's
    // address or elsewhere, signed or not; or sends bytes in the control format that may not
    // decode. Exactly one of the answer counters moves, and nothing but the host's last-seen
    // time and detector.
    void answer(Program& p) {
        const std::uint8_t how = p.u8();
        std::string bytes;
        SourceAddress from = address(99, 6666);
        if (last_probe_.empty() || (how & 7) == 7) {
            bytes = "BCTL" + std::string(p.bytes(p.u8() % 64));
        } else {
            ControlView probe;
            FUZZ_CHECK(decode_control(last_probe_, probe) == DecodeError::ok);
            const Agent* a = nullptr;
            for (const Agent& candidate : agents_) {
                if (candidate.name == probe.host) a = &candidate;
            }
            const std::uint64_t number = probe.number + ((how >> 3) & 3);
            const std::uint64_t incarnation =
                how & 0x20 ? probe.incarnation + 1 : probe.incarnation;
            encode_control(
                {ControlType::answer, probe.host, incarnation, number, kUnixAtZero + now_, {}},
                how & 0x40 || a == nullptr ? nullptr : a->key, bytes);
            // (A host made by a mutated datagram has no agent: answered from elsewhere.)
            if ((how & 0x80) == 0 && a != nullptr) from = a->from;
        }
        const auto before = view(monitor_.registry());
        const IngestStats b = monitor_.stats();
        sink_.events.clear();
        monitor_.on_datagram(bytes, from, now_, kUnixAtZero + now_);
        const IngestStats& s = monitor_.stats();
        FUZZ_CHECK(s.datagrams == b.datagrams + 1);
        FUZZ_CHECK(s.accepted == b.accepted);
        FUZZ_CHECK((s.answers - b.answers) + (s.answers_stale - b.answers_stale) +
                       (s.answers_refused - b.answers_refused) + (s.rejected - b.rejected) ==
                   1);
        for (const Event& e : sink_.events)
            FUZZ_CHECK(std::holds_alternative<InvalidDatagram>(e));
        const auto after = view(monitor_.registry());
        FUZZ_CHECK(after.size() == before.size());
        for (const auto& [name, v] : after) {
            const HostView& w = before.at(name);
            FUZZ_CHECK(v.beats == w.beats && v.lost == w.lost && v.last_seen_ms >= w.last_seen_ms);
        }
    }

    // What the monitor sent since the last check: control datagrams it can decode again, an ack, a
    // probe or a plan for a host it knows, to that host's address, signed exactly when there is a
    // key.
    void check_sent() {
        for (const auto& [bytes, to] : out_.sent) {
            ControlView c;
            FUZZ_CHECK(decode_control(bytes, c) == DecodeError::ok);
            const HostRecord* h = monitor_.registry().find(c.host);
            FUZZ_CHECK(h != nullptr);
            FUZZ_CHECK(to == h->address);
            const Key* key = key_ring().key_for(c.host);
            FUZZ_CHECK(((c.flags & kFlagAuth) != 0) == (key != nullptr));
            if (key != nullptr) FUZZ_CHECK(verify_control(c, *key));
            if (c.type == ControlType::probe) last_probe_ = bytes;
            if (c.type == ControlType::plan) {
                check_plan(c, *h);
            } else {
                FUZZ_CHECK(c.type == ControlType::ack || c.type == ControlType::probe);
            }
        }
        FUZZ_CHECK(monitor_.stats().plans_sent == plans_seen_);
        out_.sent.clear();
        const Liveness& l = monitor_.liveness();
        FUZZ_CHECK(l.suspected_count() <= l.up_count());
        FUZZ_CHECK(l.judged_count(JudgedBy::fixed) + l.judged_count(JudgedBy::phi) +
                       l.judged_count(JudgedBy::probe) ==
                   l.up_count() + l.silent_count());
    }

    // A plan sent to `h`: the one it should run, sent because its agent ran another, within the
    // bound per host; its agent (of the run it names) applies it.
    void check_plan(const ControlView& c, const HostRecord& h) {
        ++plans_seen_;
        Plan sent;
        FUZZ_CHECK(decode_plan(c.payload, sent) == DecodeError::ok);
        FUZZ_CHECK(c.number == plan_version(c.payload));
        FUZZ_CHECK(c.incarnation == h.sequence.incarnation());
        const HostPlanView p = monitor_.plan_of(h);
        if (p.plan != nullptr) {
            FUZZ_CHECK(c.payload == p.plan->body && c.number == p.wanted);
        } else {
            FUZZ_CHECK(sent == local_plan());
        }
        FUZZ_CHECK(p.running != p.wanted);
        std::deque<std::int64_t>& times = plan_sends_[std::string(c.host)];
        times.push_back(now_);
        while (times.front() <= now_ - kPlanResendWindowMs)
            times.pop_front();
        FUZZ_CHECK(times.size() <= kMaxPlanSends);
        for (Agent& a : agents_) {
            if (a.name == c.host && a.incarnation == c.incarnation)
                a.running = sets_nothing(sent) ? 0 : static_cast<std::uint32_t>(c.number);
        }
    }

    // A PyHeartBeat datagram from address 10.0.0.(200 + A % 3): the host of that name, beating at
    // the legacy interval with nothing numbered, or a refusal that changes no host.
    void pyhb(Program& p) {
        const SourceAddress from = address(static_cast<std::uint8_t>(200 + p.u8() % 3), 5000);
        const std::string name = from.ip();
        const auto before = view(monitor_.registry());
        const IngestStats b = monitor_.stats();
        sink_.events.clear();
        monitor_.on_datagram("PyHB", from, now_, kUnixAtZero + now_);
        const IngestStats& s = monitor_.stats();
        FUZZ_CHECK(s.datagrams == b.datagrams + 1);
        const auto was = before.find(name);
        const bool refused = strict_ || (was == before.end() && before.size() >= config_.max_hosts);
        if (refused) {
            FUZZ_CHECK(s.refused == b.refused + 1 && s.accepted == b.accepted);
            FUZZ_CHECK(view(monitor_.registry()) == before);
            return;
        }
        FUZZ_CHECK(s.accepted == b.accepted + 1);
        const HostRecord* h = monitor_.registry().find(name);
        FUZZ_CHECK(h != nullptr && h->legacy);
        FUZZ_CHECK(h->last_seen_ms == now_ && h->address == from);
        ++legacy_[name];
        FUZZ_CHECK(sink_.events.size() <= 1);
        for (const Event& e : sink_.events) {
            FUZZ_CHECK(host_of(e) == name);
            if (std::holds_alternative<HostNew>(e)) {
                FUZZ_CHECK(was == before.end());
            } else {
                const auto* back = std::get_if<HostBack>(&e);
                FUZZ_CHECK(back != nullptr && !back->numbered && back->lost == 0);
                FUZZ_CHECK(was != before.end() && was->second.state == HostState::silent);
            }
        }
        if (was == before.end()) FUZZ_CHECK(sink_.events.size() == 1);
    }

    void expire() {
        const auto before = view(monitor_.registry());
        sink_.events.clear();
        monitor_.expire(now_);
        for (const Event& e : sink_.events) {
            if (std::holds_alternative<VerdictsHeld>(e) ||
                std::holds_alternative<ProbeBudgetSpent>(e)) {
                continue;
            }
            FUZZ_CHECK(std::holds_alternative<HostSilent>(e) ||
                       std::holds_alternative<HostFlapping>(e) ||
                       std::holds_alternative<HostSettled>(e));
            const HostRecord* h = monitor_.registry().find(host_of(e));
            if (std::holds_alternative<HostSilent>(e)) {
                FUZZ_CHECK(before.at(std::string(host_of(e))).state == HostState::up);
                FUZZ_CHECK(h->liveness.state == HostState::silent);
            }
        }
        // Expiry changes nothing the datagrams made.
        const auto after = view(monitor_.registry());
        FUZZ_CHECK(after.size() == before.size());
        for (const auto& [name, v] : after) {
            const HostView& w = before.at(name);
            FUZZ_CHECK(v.beats == w.beats && v.lost == w.lost && v.last_seen_ms == w.last_seen_ms);
        }
    }

    void report() {
        const auto before = view(monitor_.registry());
        if (plans_) monitor_.set_plans(plan_book(++reloads_ % 2));
        sink_.events.clear();
        monitor_.report(now_);
        FUZZ_CHECK(!sink_.events.empty() &&
                   std::holds_alternative<SilentSummary>(sink_.events.back()));
        for (const Event& e : sink_.events) {
            if (const auto* f = std::get_if<HostForgotten>(&e)) {
                FUZZ_CHECK(before.at(f->host.name).state == HostState::silent);
                FUZZ_CHECK(monitor_.registry().find(f->host.name) == nullptr);
                FUZZ_CHECK(shadows_.erase(f->host.name) + legacy_.erase(f->host.name) == 1);
            }
        }
    }

    void check_stats() const {
        const IngestStats& s = monitor_.stats();
        FUZZ_CHECK(s.datagrams == s.rejected + s.refused + s.duplicates + s.accepted + s.answers +
                                      s.answers_stale + s.answers_refused);
        std::uint64_t rejected = 0;
        for (const std::uint64_t n : s.rejected_by)
            rejected += n;
        std::uint64_t refused = 0;
        for (const std::uint64_t n : s.refused_by)
            refused += n;
        FUZZ_CHECK(rejected == s.rejected && refused == s.refused);
        FUZZ_CHECK(s.late <= s.accepted);
    }

    void check_hosts() const {
        const Registry& registry = monitor_.registry();
        FUZZ_CHECK(registry.size() <= config_.max_hosts);
        FUZZ_CHECK(registry.size() == shadows_.size() + legacy_.size());
        registry.for_each([&](const HostRecord& h) {
            if (const auto legacy = legacy_.find(h.name); legacy != legacy_.end()) {
                FUZZ_CHECK(h.legacy && h.lost == 0 && h.metrics.empty());
                FUZZ_CHECK(h.beats == legacy->second);
                FUZZ_CHECK(h.interval_ms == config_.legacy_interval_ms);
                return;
            }
            const auto it = shadows_.find(h.name);
            FUZZ_CHECK(it != shadows_.end());
            const Shadow& s = it->second;
            FUZZ_CHECK(h.sequence.incarnation() == s.incarnation);
            FUZZ_CHECK(h.sequence.highest() == s.highest);
            // Beats: one per distinct sequence accepted in this epoch.
            FUZZ_CHECK(h.beats == s.beats_before + s.sequences.size());
            // Lost: the sequences after the first and up to the highest never accepted.
            std::uint64_t between = 0;
            for (auto k = s.sequences.upper_bound(s.first); k != s.sequences.end(); ++k)
                ++between;
            const std::uint64_t gaps = (s.highest - s.first) - between;
            // Counted up, it would pass its largest value: it stops there instead of wrapping,
            // then takes back the late beats since.
            std::uint64_t most = 0;
            if (__builtin_add_overflow(s.lost_before, gaps, &most) ||
                __builtin_add_overflow(most, s.recovered, &most)) {
                FUZZ_CHECK(h.lost >= std::numeric_limits<std::uint64_t>::max() - s.recovered);
            } else {
                FUZZ_CHECK(h.lost == s.lost_before + gaps);
            }
            // Parts: only those accepted for the newest beat.
            FUZZ_CHECK(h.parts_sequence == s.highest);
            const auto parts = s.parts.find(h.parts_sequence);
            FUZZ_CHECK(parts != s.parts.end());
            FUZZ_CHECK((h.parts_seen & ~parts->second).none());
            FUZZ_CHECK(h.metrics.size() <= s.metric_names.size());
            FUZZ_CHECK(h.metrics.size() <= max_metrics_per_host(config_));
        });
    }

    // Keeps what the monitor sends, at most a few hundred datagrams between two checks.
    struct Out final : DatagramOut {
        std::vector<std::pair<std::string, SourceAddress>> sent;
        void send(std::string_view bytes, const SourceAddress& to) noexcept override {
            if (sent.size() < 512) sent.emplace_back(std::string(bytes), to);
        }
    };

    MonitorConfig config_;
    Store store_;
    Sink sink_;
    Out out_;
    Monitor monitor_;
    std::string last_probe_;
    const bool strict_;  // Required authentication: the replay rules hold across incarnations.
    const bool plans_;   // The monitor has plans (swapped at every report).
    std::size_t reloads_ = 0;
    std::uint64_t plans_seen_ = 0;  // Plans sent, as check_sent() saw them.
    std::map<std::string, std::deque<std::int64_t>, std::less<>> plan_sends_;  // When, by host.
    std::array<Agent, 4> agents_;
    std::vector<Built> built_;
    std::map<std::string, Shadow, std::less<>> shadows_;
    std::map<std::string, std::uint64_t, std::less<>> legacy_;  // PyHB hosts: their beats.
    std::uint64_t epochs_ = 0;
    std::int64_t now_ = 0;
};

}  // namespace
}  // namespace beat::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    beat::fuzz::Program program(std::string_view(reinterpret_cast<const char*>(data), size));
    const std::uint8_t settings = program.u8();
    beat::fuzz::Driver driver(settings, program.u8());
    driver.run(program);
    return 0;
}
