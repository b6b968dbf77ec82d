// chunk_bench: what a stored point costs in memory, to ingest and to read back, for agent-like
// data, in the store and in an uncompressed reference laid out as a sorted vector of 16-byte
// points per key (beat's store before compressed chunks), in the same run.
//
// Data, per kind (--keys keys each, a point every 5 s for --days days):
//   gauge     a percentage with two decimals, a random walk of a few hundredths per beat;
//   counter   a byte counter growing by ~10 kB/s with noise, whole numbers;
//   constant  the same value at every beat (memory size, CPU count).
// Timestamps are the agent's: a beat every 5 s, stamped to the second it was sent in, with up
// to 0.3 s of jitter either way and one beat in a hundred 1-3 s late.
//
// Prints, per kind: bytes of heap per point in both (mallinfo2: the series, blocks, keys and
// map), the bytes of the chunks alone, CPU ns per put (one beat at a time over every key, as the
// server ingests), CPU µs to read one key's 17,280 points (a day), and ns per replacement of an
// old point (a second put for a second inside a closed chunk); then the timestamp bits per point
// under beat's delta-of-delta buckets and under Gorilla's.
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "beat_server/core/store/chunk_codec.hpp"
#include "beat_server/core/store/store.hpp"
#include "tests/bench/agent_data.hpp"
#include "tests/bench/bench_clock.hpp"

namespace {

using beat::Point;
using beat::bench::generate;
using beat::bench::Kind;
using beat::bench::kKindNames;
using beat::bench::thread_cpu_ns;

// Where the reads' sums go, so that they are not optimised away.
volatile double g_sink = 0;

std::size_t heap_in_use() {
    const struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

// The reference: one key's points in a sorted vector with an acceptance time per block of 128,
// as beat's store kept them before compressed chunks (appends and replacements only).
struct PlainSeries {
    struct Block {
        std::size_t end;
        std::int64_t accepted_s;
    };
    std::vector<Point> points;
    std::vector<Block> blocks;

    void put(std::int64_t ts, double v, std::int64_t accepted_s) {
        if (!points.empty() && points.back().timestamp >= ts) {
            auto it =
                std::lower_bound(points.begin(), points.end(), ts,
                                 [](const Point& p, std::int64_t t) { return p.timestamp < t; });
            if (it != points.end() && it->timestamp == ts) {
                it->value = v;
                return;
            }
        }
        if (blocks.empty() ||
            blocks.back().end - (blocks.size() > 1 ? blocks[blocks.size() - 2].end : 0) == 128)
            blocks.push_back({points.size(), accepted_s});
        points.push_back({ts, v});
        ++blocks.back().end;
        blocks.back().accepted_s = accepted_s;
    }
};

// The prototype of the other way to take a point for a second inside a closed chunk: a sorted
// vector of such points per key, merged into every read (the newer value winning), instead of
// rewriting the chunk. Not compacted back into the chunks: the bench stores one point in it.
struct SideBuffer {
    std::vector<Point> points;

    void put(std::int64_t ts, double v) {
        auto it = std::lower_bound(points.begin(), points.end(), ts,
                                   [](const Point& p, std::int64_t t) { return p.timestamp < t; });
        if (it != points.end() && it->timestamp == ts)
            it->value = v;
        else
            points.insert(it, {ts, v});
    }

    // Calls `f` with every point of `stored` and of the buffer in timestamp order, the buffer's
    // value for a second both hold.
    template <class F>
    void merge(const beat::Series::Range& stored, F&& f) const {
        auto side = points.begin();
        for (const Point& p : stored) {
            while (side != points.end() && side->timestamp < p.timestamp)
                f(*side++);
            if (side != points.end() && side->timestamp == p.timestamp)
                f(*side++);
            else
                f(p);
        }
        while (side != points.end())
            f(*side++);
    }
};

// Timestamp bits of one delta of delta under beat's buckets and under Gorilla's (VLDB 2015).
unsigned beat_ts_bits(std::int64_t dod) {
    if (dod == 0) return 1;
    if (dod >= -8 && dod < 8) return 2 + 4;
    if (dod >= -128 && dod < 128) return 3 + 8;
    if (dod >= -65536 && dod < 65536) return 4 + 17;
    return 4 + 64;
}
unsigned gorilla_ts_bits(std::int64_t dod) {
    if (dod == 0) return 1;
    if (dod >= -63 && dod <= 64) return 2 + 7;
    if (dod >= -255 && dod <= 256) return 3 + 9;
    if (dod >= -2047 && dod <= 2048) return 4 + 12;
    return 4 + 32;
}

struct Row {
    double plain_bpp = 0, store_bpp = 0, chunk_bpp = 0;
    double plain_put_ns = 0, store_put_ns = 0;
    double plain_get_us = 0, store_get_us = 0;
    double plain_replace_ns = 0, store_replace_ns = 0;
    double side_replace_ns = 0, side_get_us = 0, rewritten_get_us = 0, side_bytes_per_key = 0;
    double beat_ts_bits = 0, gorilla_ts_bits = 0;
};

Row measure(Kind kind, std::size_t keys, std::size_t per_key, std::uint64_t seed) {
    Row r;
    std::mt19937_64 rng(seed);
    std::vector<std::vector<Point>> data(keys);
    for (auto& d : data)
        d = generate(kind, per_key, rng);
    std::vector<std::string> names(keys);
    for (std::size_t k = 0; k < keys; ++k)
        names[k] = "host-" + std::to_string(k / 17) + ".metric." + std::to_string(k % 17);
    const double points = static_cast<double>(keys * per_key);

    // Encoded size alone, and the timestamp bits under both bucket schemes.
    double chunk_bytes = 0, beat_bits = 0, gorilla_bits = 0;
    for (const auto& d : data) {
        for (std::size_t i = 0; i < d.size(); i += beat::Series::kBlockPoints) {
            const std::size_t n = std::min(beat::Series::kBlockPoints, d.size() - i);
            chunk_bytes += static_cast<double>(beat::encode_chunk({d.data() + i, n}).size());
        }
        for (std::size_t i = 2; i < d.size(); ++i) {
            const std::int64_t dod =
                (d[i].timestamp - d[i - 1].timestamp) - (d[i - 1].timestamp - d[i - 2].timestamp);
            beat_bits += beat_ts_bits(dod);
            gorilla_bits += gorilla_ts_bits(dod);
        }
    }
    r.chunk_bpp = chunk_bytes / points;
    r.beat_ts_bits = beat_bits / static_cast<double>(keys * (per_key - 2));
    r.gorilla_ts_bits = gorilla_bits / static_cast<double>(keys * (per_key - 2));

    {
        const std::size_t heap0 = heap_in_use();
        std::unordered_map<std::string, PlainSeries> plain;
        std::vector<PlainSeries*> series;
        for (const auto& n : names)
            series.push_back(&plain[n]);
        const std::int64_t t0 = thread_cpu_ns();
        for (std::size_t i = 0; i < per_key; ++i) {
            for (std::size_t k = 0; k < keys; ++k)
                series[k]->put(data[k][i].timestamp, data[k][i].value, data[k][i].timestamp);
        }
        r.plain_put_ns = static_cast<double>(thread_cpu_ns() - t0) / points;
        r.plain_bpp = static_cast<double>(heap_in_use() - heap0) / points;
        double sum = 0;
        const std::int64_t g0 = thread_cpu_ns();
        for (std::size_t k = 0; k < keys; ++k) {
            for (const Point& p : series[k]->points)
                sum += p.value;
        }
        g_sink = sum;
        r.plain_get_us =
            static_cast<double>(thread_cpu_ns() - g0) / 1e3 / static_cast<double>(keys);
        const std::int64_t p0 = thread_cpu_ns();
        for (std::size_t k = 0; k < keys; ++k) {
            const Point& old = data[k][per_key / 2];
            series[k]->put(old.timestamp, old.value + 1, old.timestamp);
        }
        r.plain_replace_ns = static_cast<double>(thread_cpu_ns() - p0) / static_cast<double>(keys);
    }
    {
        const std::size_t heap0 = heap_in_use();
        beat::Store store(beat::RetentionLimits{0, 0, 0});
        std::vector<beat::Series*> series;
        for (const auto& n : names)
            series.push_back(&store.series(n));
        const std::int64_t t0 = thread_cpu_ns();
        for (std::size_t i = 0; i < per_key; ++i) {
            for (std::size_t k = 0; k < keys; ++k)
                store.put(*series[k], data[k][i].timestamp, data[k][i].value, data[k][i].timestamp);
        }
        r.store_put_ns = static_cast<double>(thread_cpu_ns() - t0) / points;
        r.store_bpp = static_cast<double>(heap_in_use() - heap0) / points;
        // CPU us to read every point of a key, on average over the keys.
        const auto get_us = [&series, keys] {
            double sum = 0;
            const std::int64_t g0 = thread_cpu_ns();
            for (std::size_t k = 0; k < keys; ++k) {
                for (const Point& p : series[k]->points())
                    sum += p.value;
            }
            g_sink = sum;
            return static_cast<double>(thread_cpu_ns() - g0) / 1e3 / static_cast<double>(keys);
        };
        r.store_get_us = get_us();
        const std::int64_t p0 = thread_cpu_ns();
        for (std::size_t k = 0; k < keys; ++k) {
            const Point& old = data[k][per_key / 2];
            store.put(*series[k], old.timestamp, old.value + 1, old.timestamp);
        }
        r.store_replace_ns = static_cast<double>(thread_cpu_ns() - p0) / static_cast<double>(keys);

        // The alternative to rewriting a chunk: the same replacement kept in a side buffer per
        // key, and the day's get merging it in.
        const std::size_t side_heap0 = heap_in_use();
        std::vector<SideBuffer> side(keys);
        const std::int64_t s0 = thread_cpu_ns();
        for (std::size_t k = 0; k < keys; ++k) {
            const Point& old = data[k][per_key / 2];
            side[k].put(old.timestamp, old.value + 2);
        }
        r.side_replace_ns = static_cast<double>(thread_cpu_ns() - s0) / static_cast<double>(keys);
        r.side_bytes_per_key =
            static_cast<double>(heap_in_use() - side_heap0) / static_cast<double>(keys);
        double sum = 0;
        const std::int64_t m0 = thread_cpu_ns();
        for (std::size_t k = 0; k < keys; ++k)
            side[k].merge(series[k]->points(), [&sum](const Point& p) { sum += p.value; });
        g_sink = sum;
        r.side_get_us = static_cast<double>(thread_cpu_ns() - m0) / 1e3 / static_cast<double>(keys);
        // The same get with the replaced point rewritten in its chunk, to compare in one place.
        r.rewritten_get_us = get_us();
    }
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t keys = 200;
    double days = 1;
    std::uint64_t seed = 1;
    CLI::App app{"Memory, ingest and read cost of stored points, compressed and not"};
    app.add_option("--keys", keys, "keys per kind")->capture_default_str();
    app.add_option("--days", days, "simulated days of 5 s points per key")->capture_default_str();
    app.add_option("--seed", seed, "data generator seed")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    const auto per_key = static_cast<std::size_t>(days * 86'400 / 5);

    std::printf("%zu keys per kind, %zu points per key (5 s cadence with jitter)\n\n", keys,
                per_key);
    std::printf(
        "| kind | B/point plain | B/point store | B/point chunks alone | put ns plain | put ns "
        "store | put ratio | get of %zu points plain us | store us | get ratio | replace old "
        "point ns plain | store | ts bits/point beat | Gorilla |\n",
        per_key);
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    std::vector<Row> rows;
    for (Kind kind : {Kind::gauge, Kind::counter, Kind::constant}) {
        const Row r = rows.emplace_back(measure(kind, keys, per_key, seed));
        std::printf(
            "| %s | %.2f | %.2f | %.2f | %.1f | %.1f | %.2fx | %.1f | %.1f | %.2fx | %.0f | %.0f | "
            "%.2f | %.2f |\n",
            kKindNames[static_cast<int>(kind)], r.plain_bpp, r.store_bpp, r.chunk_bpp,
            r.plain_put_ns, r.store_put_ns, r.store_put_ns / r.plain_put_ns, r.plain_get_us,
            r.store_get_us, r.store_get_us / r.plain_get_us, r.plain_replace_ns, r.store_replace_ns,
            r.beat_ts_bits, r.gorilla_ts_bits);
        std::fflush(stdout);
    }
    std::printf(
        "\nA replacement inside a closed chunk, rewriting the chunk or kept in a side buffer "
        "merged on read:\n\n| kind | replace ns, rewrite | replace ns, side buffer | get us "
        "after the rewrite | get us merging the side buffer | get ratio side/rewrite | side "
        "buffer heap B/key |\n|---|---|---|---|---|---|---|\n");
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Row& r = rows[i];
        std::printf("| %s | %.0f | %.0f | %.1f | %.1f | %.2fx | %.0f |\n", kKindNames[i],
                    r.store_replace_ns, r.side_replace_ns, r.rewritten_get_us, r.side_get_us,
                    r.side_get_us / r.rewritten_get_us, r.side_bytes_per_key);
    }
    return 0;
}
