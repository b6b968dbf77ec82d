// auth_cost: what authentication costs the server's ingest path, as a ratio measured in one run.
//
// Feeds the same fleet's beats (hosts x metrics, several rounds) through the real Monitor twice
// per trial: unsigned with --auth off (the baseline) and signed with --auth required. The first
// round (which creates the hosts and their series) is not timed. Prints the median nanoseconds per
// datagram of each over the trials, and their ratio; also decode-only against decode + verify,
// the cryptographic part alone. Pure computation: no sockets, one thread.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <string>
#include <variant>
#include <vector>

#include "beat_server/core/ingest/monitor.hpp"
#include "common/auth_tag.hpp"
#include "tests/bench/bench_clock.hpp"

namespace {

using beat::bench::now_ns;

// Counts what the monitor reports; the benchmark checks that nothing was refused.
struct CountingSink final : beat::EventSink {
    std::size_t hosts = 0, refused = 0, other = 0;
    void on_event(const beat::Event& e) override {
        if (std::holds_alternative<beat::HostNew>(e)) {
            ++hosts;
        } else if (std::holds_alternative<beat::InvalidDatagram>(e) ||
                   std::holds_alternative<beat::DatagramRefused>(e)) {
            ++refused;
        } else if (!std::holds_alternative<beat::SilentSummary>(e)) {
            ++other;
        }
    }
};

constexpr std::int64_t kStartMs = 1'700'000'000'000;
constexpr std::uint32_t kIntervalMs = 5000;

// rounds[r][h]: host h's datagram in round r.
using Fleet = std::vector<std::vector<std::string>>;

Fleet make_fleet(unsigned hosts, unsigned metrics, unsigned rounds, const beat::Key* key) {
    Fleet fleet(rounds);
    beat::Heartbeat hb;
    hb.incarnation = 1;
    hb.interval_ms = kIntervalMs;
    for (unsigned r = 0; r < rounds; ++r) {
        for (unsigned h = 0; h < hosts; ++h) {
            hb.host = "host-" + std::to_string(h);
            hb.sequence = r + 1;
            hb.send_time_ms = kStartMs + std::int64_t{r} * kIntervalMs;
            hb.metrics.clear();
            for (unsigned m = 0; m < metrics; ++m)
                hb.metrics.push_back({"metric." + std::to_string(m), double(r * m)});
            std::string d = beat::pack_beat(hb, beat::kAuthTagLength).at(0);
            if (key) beat::sign_datagram(d, *key);
            fleet[r].push_back(std::move(d));
        }
    }
    return fleet;
}

// Nanoseconds per datagram for rounds 1.. of `fleet` through a fresh monitor with `auth`.
double ingest_ns(const Fleet& fleet, const beat::AuthPolicy& auth) {
    beat::Store store;
    CountingSink sink;
    beat::MonitorConfig cfg;
    cfg.auth = auth;
    beat::Monitor monitor(cfg, store, sink);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(0x0a000001);
    const beat::SourceAddress from(reinterpret_cast<const sockaddr*>(&a));
    auto feed = [&](std::size_t r) {
        const std::int64_t t = std::int64_t(r) * kIntervalMs;
        for (const std::string& d : fleet[r])
            monitor.on_datagram(d, from, t, kStartMs + t);
    };
    feed(0);
    const std::int64_t t0 = now_ns();
    std::size_t n = 0;
    for (std::size_t r = 1; r < fleet.size(); ++r) {
        feed(r);
        n += fleet[r].size();
    }
    const std::int64_t t1 = now_ns();
    if (sink.refused != 0 || sink.other != 0 || monitor.stats().accepted != n + fleet[0].size()) {
        std::fprintf(stderr, "unexpected: refused=%zu other events=%zu\n", sink.refused,
                     sink.other);
        std::exit(1);
    }
    return double(t1 - t0) / double(n);
}

// Nanoseconds per datagram to decode (and, with `key`, verify) every datagram of `fleet`.
double decode_ns(const Fleet& fleet, const beat::Key* key) {
    std::size_t n = 0, ok = 0;
    const std::int64_t t0 = now_ns();
    for (const auto& round : fleet) {
        for (const std::string& d : round) {
            beat::HeartbeatView v;
            if (beat::decode_heartbeat(d, v) == beat::DecodeError::ok &&
                (key == nullptr || beat::verify_tag(v, *key)))
                ++ok;
            ++n;
        }
    }
    const std::int64_t t1 = now_ns();
    if (ok != n) std::exit(1);
    return double(t1 - t0) / double(n);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    unsigned hosts = 10'000, metrics = 8, rounds = 11, trials = 5;
    CLI::App app{"Measures what authenticated heartbeats cost the server's ingest path"};
    app.add_option("--hosts", hosts)->capture_default_str()->check(CLI::Range(1u, 1'000'000u));
    app.add_option("--metrics", metrics)->capture_default_str()->check(CLI::Range(0u, 60u));
    app.add_option("--rounds", rounds, "beats per host (the first is not timed)")
        ->capture_default_str()
        ->check(CLI::Range(2u, 1000u));
    app.add_option("--trials", trials)->capture_default_str()->check(CLI::Range(1u, 99u));
    CLI11_PARSE(app, argc, argv);

    const beat::Key key = beat::generate_key();
    const beat::KeyRing keys = beat::KeyRing::parse(beat::format_key(key));
    const Fleet plain = make_fleet(hosts, metrics, rounds, nullptr);
    const Fleet signed_fleet = make_fleet(hosts, metrics, rounds, &key);
    const beat::AuthPolicy off{beat::AuthMode::off, nullptr, 300'000};
    const beat::AuthPolicy required{beat::AuthMode::required, &keys, 300'000};

    std::vector<double> base, auth, dec, ver;
    for (unsigned t = 0; t < trials; ++t) {
        // Alternating, so that drift in the machine's speed hits both alike.
        base.push_back(ingest_ns(plain, off));
        auth.push_back(ingest_ns(signed_fleet, required));
        dec.push_back(decode_ns(plain, nullptr));
        ver.push_back(decode_ns(signed_fleet, &key));
    }
    std::printf("hosts=%u metrics=%u datagram_bytes=%zu/%zu (plain/signed) trials=%u\n", hosts,
                metrics, plain[0][0].size(), signed_fleet[0][0].size(), trials);
    std::printf("ingest ns/datagram: auth off %.0f, auth required %.0f, ratio %.2f\n", median(base),
                median(auth), median(auth) / median(base));
    std::printf("decode ns/datagram: %.0f, decode + verify %.0f (verify alone %.0f)\n", median(dec),
                median(ver), median(ver) - median(dec));
    return 0;
}
