// detector_sim: runs a set of scenarios (beat_server/sim/scenario.hpp) against the detectors and
// prints a table of docs/detector.md. The default set ("detector") compares the fixed and the phi
// detector: detection time of real deaths and false reports per 1,000 host-hours; its defaults
// (100 hosts for 12 simulated hours, about 1,070 alive host-hours per scenario) give that table.
// The "probe" set runs the two-way channel's scenarios against the probe detector, phi and the
// fixed timeout and adds the largest detection time, the mean mistake length and the channel's
// bytes; its defaults (1,000 hosts for 12 hours, about 10,700 alive host-hours per scenario)
// give the channel's table. Either is the same for the same seed.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "beat_server/sim/simulator.hpp"

namespace {

struct Detector {
    std::string label;
    beat::MonitorConfig config;
};

std::string number(double v, int decimals) {
    return std::isnan(v) ? "-" : fmt::format("{:.{}f}", v, decimals);
}

std::string percent(double share) {
    return fmt::format("{:.1f}%", 100 * share);
}

// The detectors to compare, in the order of `kinds`: one per fixed multiplier and one per phi
// threshold.
std::vector<Detector> detectors(const std::vector<beat::DetectorKind>& kinds,
                                const std::vector<int>& multipliers,
                                const std::vector<double>& thresholds, double pause) {
    std::vector<Detector> out;
    for (beat::DetectorKind kind : kinds) {
        switch (kind) {
            case beat::DetectorKind::fixed:
                for (int m : multipliers) {
                    Detector& d = out.emplace_back();
                    d.label = fmt::format("fixed {} intervals", m);
                    d.config.detector.kind = kind;
                    d.config.detector.multiplier = m;
                }
                break;
            case beat::DetectorKind::phi:
                for (double t : thresholds) {
                    Detector& d = out.emplace_back();
                    d.label = fmt::format("phi {:g}", t);
                    d.config.detector.kind = kind;
                    d.config.detector.phi.threshold = t;
                    d.config.detector.phi.pause_intervals = pause;
                }
                break;
            case beat::DetectorKind::probe: {
                Detector& d = out.emplace_back();
                d.label = "probe";
                d.config.detector.kind = kind;
                d.config.detector.phi.threshold = thresholds.front();
                d.config.detector.phi.pause_intervals = pause;
                break;
            }
        }
    }
    return out;
}

// The fixed and phi detectors on the standard scenarios, with and without flap damping.
void detector_table(const std::vector<beat::sim::Scenario>& scenarios,
                    const std::vector<Detector>& detectors, const beat::sim::RunOptions& options) {
    std::printf(
        "| scenario | detector | alive host-hours | deaths reported (missed) | detection median | "
        "detection p99 | false silent / 1,000 h | flapping / 1,000 h | false silent without "
        "damping / 1,000 h |\n|---|---|---|---|---|---|---|---|---|\n");
    for (const beat::sim::Scenario& s : scenarios) {
        for (const Detector& d : detectors) {
            const beat::sim::RunResult r = beat::sim::run(s, d.config, options);
            beat::MonitorConfig undamped = d.config;
            undamped.detector.flap.silences = 0;
            const beat::sim::RunResult raw = beat::sim::run(s, undamped, options);
            std::printf("| %s | %s | %.0f | %llu (%llu) | %s | %s | %s | %s | %s |\n",
                        s.name.c_str(), d.label.c_str(), r.alive_host_hours,
                        static_cast<unsigned long long>(r.detections.size()),
                        static_cast<unsigned long long>(r.missed),
                        number(r.detection_quantile(0.5), 2).c_str(),
                        number(r.detection_quantile(0.99), 2).c_str(),
                        number(r.per_1000_host_hours(r.false_silent), 1).c_str(),
                        number(r.per_1000_host_hours(r.false_flapping), 1).c_str(),
                        number(raw.per_1000_host_hours(raw.false_silent), 1).c_str());
            std::fflush(stdout);
        }
    }
}

// The two-way channel's scenarios: the failure detector metrics of Chen, Toueg and Aguilera
// (detection time, mistake rate, mistake duration) and the channel's bytes.
void probe_table(const std::vector<beat::sim::Scenario>& scenarios,
                 const std::vector<Detector>& detectors, const beat::sim::RunOptions& options) {
    std::printf(
        "| scenario | detector | alive host-hours | deaths reported (missed) | T_D median | T_D "
        "p99 | T_D max | false silent / 1,000 h | flapping / 1,000 h | mean mistake | probes + "
        "answers / beats (bytes) | acks / beats (bytes) |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (const beat::sim::Scenario& s : scenarios) {
        for (const Detector& d : detectors) {
            const beat::sim::RunResult r = beat::sim::run(s, d.config, options);
            std::printf(
                "| %s | %s | %.0f | %llu (%llu) | %s | %s | %s | %s | %s | %s | %s | %s |\n",
                s.name.c_str(), d.label.c_str(), r.alive_host_hours,
                static_cast<unsigned long long>(r.detections.size()),
                static_cast<unsigned long long>(r.missed),
                number(r.detection_quantile(0.5), 2).c_str(),
                number(r.detection_quantile(0.99), 2).c_str(),
                number(r.detection_quantile(1), 2).c_str(),
                number(r.per_1000_host_hours(r.false_silent), 1).c_str(),
                number(r.per_1000_host_hours(r.false_flapping), 1).c_str(),
                number(r.mean_mistake_intervals(), 1).c_str(), percent(r.probe_share()).c_str(),
                percent(r.ack_share()).c_str());
            std::fflush(stdout);
        }
    }
}

}  // namespace

int main(int argc, char** argv) {
    beat::sim::RunOptions options;
    std::string set = "detector";
    std::uint32_t interval_ms = 1000;
    std::vector<std::string> only;
    std::vector<std::string> kind_names;
    std::vector<int> multipliers{3, 8};
    std::vector<double> thresholds{beat::PhiSettings{}.threshold};
    double pause = beat::PhiSettings{}.pause_intervals;
    const std::map<std::string, beat::DetectorKind> kind_of{{"fixed", beat::DetectorKind::fixed},
                                                            {"phi", beat::DetectorKind::phi},
                                                            {"probe", beat::DetectorKind::probe}};
    CLI::App app{"detector_sim: the failure detectors against simulated fleets"};
    app.add_option("--set", set,
                   "Scenarios: detector (fixed against phi) or probe (the two-way channel)")
        ->check(CLI::IsMember({"detector", "probe"}))
        ->capture_default_str();
    auto* hosts = app.add_option("--hosts", options.hosts,
                                 "Hosts in the fleet (default 100, 1000 with --set probe)");
    app.add_option("--hours", options.hours, "Simulated hours per scenario")->capture_default_str();
    app.add_option("--seed", options.seed, "Seed of every random choice")->capture_default_str();
    app.add_option("--interval", interval_ms, "Every host's beat interval (ms)")
        ->capture_default_str();
    app.add_option("--scenario", only, "Run only these scenarios (by name)");
    app.add_option("--detector", kind_names,
                   "Detectors to compare, in this order (default fixed phi, probe phi fixed with "
                   "--set probe)")
        ->check(CLI::IsMember({"fixed", "phi", "probe"}));
    auto* fixed = app.add_option("--fixed", multipliers,
                                 "Fixed timeouts to compare, in intervals (default 3 8, 3 with "
                                 "--set probe)");
    app.add_option("--phi-threshold", thresholds,
                   "phi thresholds to compare (the first one is the probe detector's fallback)")
        ->capture_default_str();
    app.add_option("--phi-pause", pause, "phi's acceptable pause, in intervals")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    const bool probe_set = set == "probe";
    if (probe_set && hosts->count() == 0) options.hosts = 1000;
    if (probe_set && fixed->count() == 0) multipliers = {3};
    if (kind_names.empty()) {
        kind_names = probe_set ? std::vector<std::string>{"probe", "phi", "fixed"}
                               : std::vector<std::string>{"fixed", "phi"};
    }
    std::vector<beat::DetectorKind> kinds;
    for (const std::string& name : kind_names)
        kinds.push_back(kind_of.at(name));
    std::vector<beat::sim::Scenario> scenarios;
    for (beat::sim::Scenario& s : probe_set ? beat::sim::probe_scenarios(interval_ms)
                                            : beat::sim::standard_scenarios(interval_ms)) {
        if (only.empty() || std::find(only.begin(), only.end(), s.name) != only.end())
            scenarios.push_back(std::move(s));
    }
    const std::vector<Detector> compared = detectors(kinds, multipliers, thresholds, pause);

    std::printf(
        "%zu hosts beating every %u ms, %g simulated hours per scenario, seed %llu; phi pause %g "
        "intervals; flap damping as by default\n\n",
        options.hosts, interval_ms, options.hours, static_cast<unsigned long long>(options.seed),
        pause);
    if (probe_set) {
        probe_table(scenarios, compared, options);
    } else {
        detector_table(scenarios, compared, options);
    }
    return 0;
}
