// detector_sim: runs the standard scenarios (beat_server/sim/scenario.hpp) against the fixed and
// the phi detector and prints the table of docs/detector.md: detection time of real deaths and
// false reports per 1,000 host-hours. Its defaults (100 hosts for 12 simulated hours, about 1,070
// alive host-hours per scenario) give that table, the same for the same seed.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
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

}  // namespace

int main(int argc, char** argv) {
    beat::sim::RunOptions options;
    std::uint32_t interval_ms = 1000;
    std::vector<std::string> only;
    std::vector<int> multipliers{3, 8};
    std::vector<double> thresholds{beat::PhiSettings{}.threshold};
    double pause = beat::PhiSettings{}.pause_intervals;
    CLI::App app{"detector_sim: the fixed and phi detectors against simulated fleets"};
    app.add_option("--hosts", options.hosts, "Hosts in the fleet")->capture_default_str();
    app.add_option("--hours", options.hours, "Simulated hours per scenario")->capture_default_str();
    app.add_option("--seed", options.seed, "Seed of every random choice")->capture_default_str();
    app.add_option("--interval", interval_ms, "Every host's beat interval (ms)")
        ->capture_default_str();
    app.add_option("--scenario", only, "Run only these scenarios (by name)");
    app.add_option("--fixed", multipliers, "Fixed timeouts to compare, in intervals")
        ->capture_default_str();
    app.add_option("--phi-threshold", thresholds, "phi thresholds to compare")
        ->capture_default_str();
    app.add_option("--phi-pause", pause, "phi's acceptable pause, in intervals")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    std::vector<Detector> detectors;
    for (int m : multipliers) {
        Detector& d = detectors.emplace_back();
        d.label = fmt::format("fixed {} intervals", m);
        d.config.detector.kind = beat::DetectorKind::fixed;
        d.config.detector.multiplier = m;
    }
    for (double t : thresholds) {
        Detector& d = detectors.emplace_back();
        d.label = fmt::format("phi {:g}", t);
        d.config.detector.kind = beat::DetectorKind::phi;
        d.config.detector.phi.threshold = t;
        d.config.detector.phi.pause_intervals = pause;
    }

    std::printf(
        "%zu hosts beating every %u ms, %g simulated hours per scenario, seed %llu; phi pause %g "
        "intervals; flap damping as by default\n\n",
        options.hosts, interval_ms, options.hours, static_cast<unsigned long long>(options.seed),
        pause);
    std::printf(
        "| scenario | detector | alive host-hours | deaths reported (missed) | detection median | "
        "detection p99 | false silent / 1,000 h | flapping / 1,000 h | false silent without "
        "damping / 1,000 h |\n|---|---|---|---|---|---|---|---|---|\n");
    for (const beat::sim::Scenario& s : beat::sim::standard_scenarios(interval_ms)) {
        if (!only.empty() && std::find(only.begin(), only.end(), s.name) == only.end()) continue;
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
    return 0;
}
