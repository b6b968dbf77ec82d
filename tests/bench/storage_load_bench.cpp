// storage_load_bench: what a stored point takes on disk and how long the server takes to load it
// at start, with the database's segments compacted into chunks and as segments only (the format
// before compaction), written and loaded in the same run.
//
// For each kind of agent data (agent_data.hpp: gauges, counters, constants, and a mix of the
// three), --keys keys get a point every 5 s for --hours hours, written through Database as the
// server does: one batch per second of simulated time holding the points of that second, accepted
// then. With compaction the writer's steps run between batches whenever one is due (the server's
// policy, the simulated clock driving it). Then the database is closed (which checkpoints its WAL)
// and reopened to load every point into a Store, --trials times, both formats alternating.
//
// Prints per kind and format: disk bytes per point (beat.db plus its WAL after the checkpoint),
// the median wall time of a load and the CPU time the writer spent (batches and compaction).
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "beat_server/io/storage/database.hpp"
#include "tests/bench/agent_data.hpp"
#include "tests/bench/bench_clock.hpp"

namespace {

using beat::bench::Kind;

// The size of `path` in bytes, 0 when it does not exist.
std::uint64_t file_size(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

struct Written {
    std::size_t points = 0;
    double bytes_per_point = 0;
    double writer_cpu_s = 0;
    std::int64_t max_step_ms = 0;  // The longest compaction step.
};

// Writes `data` (every key's points) into a fresh database in `dir`, compacting or not.
Written write(const std::string& dir, const std::vector<std::vector<beat::Point>>& data,
              bool compact) {
    std::filesystem::remove_all(dir);
    struct Record {
        std::int64_t ts;
        std::uint64_t key;
        double value;
    };
    std::vector<Record> all;
    for (std::size_t k = 0; k < data.size(); ++k) {
        for (const beat::Point& p : data[k])
            all.push_back({p.timestamp, k + 1, p.value});
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const Record& a, const Record& b) { return a.ts < b.ts; });
    Written w;
    w.points = all.size();
    const std::int64_t cpu0 = beat::bench::thread_cpu_ns();
    {
        beat::Database db(dir, false, all.front().ts);
        if (!compact) db.set_compaction(beat::CompactionPolicy{0, 0, 0, false});
        beat::StorageBatch batch;
        for (std::size_t k = 0; k < data.size(); ++k)
            batch.journal.keys.push_back(
                {k + 1, "host" + std::to_string(k / 17) + ".metric" + std::to_string(k % 17)});
        for (std::size_t i = 0; i < all.size();) {
            const std::int64_t second = all[i].ts;
            for (; i < all.size() && all[i].ts == second; ++i)
                batch.journal.points.push_back({all[i].key, all[i].ts, all[i].value});
            batch.accepted_s = second;
            db.write(batch);
            batch.clear();
            if (db.compaction_due(second)) {
                const std::int64_t t0 = beat::bench::now_ns();
                db.compact();
                w.max_step_ms = std::max(w.max_step_ms, (beat::bench::now_ns() - t0) / 1'000'000);
            }
        }
    }
    w.writer_cpu_s = static_cast<double>(beat::bench::thread_cpu_ns() - cpu0) / 1e9;
    const std::uint64_t bytes = file_size(dir + "/beat.db") + file_size(dir + "/beat.db-wal");
    w.bytes_per_point = static_cast<double>(bytes) / static_cast<double>(w.points);
    return w;
}

// Loads `dir`'s points as the server does at start; returns the wall seconds it took.
double load(const std::string& dir, std::size_t want_points) {
    const std::int64_t t0 = beat::bench::now_ns();
    beat::Database db(dir, false, 0);
    beat::Store store(beat::RetentionLimits{0, 0, 0});
    const std::size_t n = db.load_points(store, INT64_MIN);
    const double s = static_cast<double>(beat::bench::now_ns() - t0) / 1e9;
    if (n != want_points || store.point_count() != want_points) {
        std::fprintf(stderr, "loaded %zu points, %zu kept, expected %zu\n", n, store.point_count(),
                     want_points);
        std::exit(1);
    }
    return s;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Disk bytes per point and load time, compacted chunks against segments"};
    std::size_t keys = 200;
    double hours = 12;
    int trials = 3;
    std::string dir = "/tmp/beat-storage-load-bench";
    app.add_option("--keys", keys, "keys per kind")->check(CLI::PositiveNumber);
    app.add_option("--hours", hours, "hours of points at 5 s")->check(CLI::PositiveNumber);
    app.add_option("--trials", trials, "loads per format")->check(CLI::PositiveNumber);
    app.add_option("--dir", dir, "scratch directory (removed at the end)");
    CLI11_PARSE(app, argc, argv);
    const auto per_key = static_cast<std::size_t>(hours * 3600 / 5);

    std::printf(
        "| Data | Points | Disk per point, segments | Disk per point, chunks | Ratio | "
        "Load, segments | Load, chunks | Ratio | Writer CPU, segments | Writer CPU, "
        "chunks | Longest compaction step |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
    const char* names[] = {"gauge", "counter", "constant", "mix"};
    for (int kind = 0; kind < 4; ++kind) {
        std::mt19937_64 rng(42 + static_cast<std::uint64_t>(kind));
        std::vector<std::vector<beat::Point>> data;
        for (std::size_t k = 0; k < keys; ++k) {
            const auto of = kind < 3 ? static_cast<Kind>(kind) : static_cast<Kind>(k % 3);
            data.push_back(beat::bench::generate(of, per_key, rng));
        }
        const Written before = write(dir + "/segments", data, false);
        const Written after = write(dir + "/chunks", data, true);
        std::vector<double> load_before, load_after;
        for (int t = 0; t < trials; ++t) {
            load_before.push_back(load(dir + "/segments", before.points));
            load_after.push_back(load(dir + "/chunks", after.points));
        }
        const double lb = median(load_before), la = median(load_after);
        std::printf(
            "| %s | %zu | %.1f B | **%.2f B** | %.3f | %.0f ms | **%.0f ms** | %.2f | %.2f s | "
            "%.2f s | %lld ms |\n",
            names[kind], before.points, before.bytes_per_point, after.bytes_per_point,
            after.bytes_per_point / before.bytes_per_point, lb * 1000, la * 1000, la / lb,
            before.writer_cpu_s, after.writer_cpu_s, static_cast<long long>(after.max_step_ms));
        std::fflush(stdout);
    }
    std::filesystem::remove_all(dir);
    return 0;
}
