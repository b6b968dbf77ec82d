// Agent-like data for the benchmarks: what a Linux agent's metrics look like, per kind.
//   gauge     a percentage with two decimals, a random walk of a few hundredths per beat;
//   counter   a byte counter growing by ~10 kB/s with noise, whole numbers;
//   constant  the same value at every beat (memory size, CPU count).
// Timestamps are the agent's: a beat every 5 s, stamped to the second it was sent in, with up
// to 0.3 s of jitter either way and one beat in a hundred 1-3 s late.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "beat_server/core/store/point.hpp"

namespace beat::bench {

enum class Kind { gauge, counter, constant };
constexpr const char* kKindNames[] = {"gauge", "counter", "constant"};

// A key's `n` points of one kind, from 1,700,000,000 on.
inline std::vector<Point> generate(Kind kind, std::size_t n, std::mt19937_64& rng) {
    std::uniform_real_distribution<double> jitter(-0.3, 0.3), unit(0, 1);
    std::normal_distribution<double> step(0, 0.04);
    std::vector<Point> out;
    out.reserve(n);
    const double t0 = 1'700'000'000 + unit(rng) * 5;
    double v = kind == Kind::gauge ? std::round(unit(rng) * 10000) / 100 : 1e9 * unit(rng);
    v = kind == Kind::constant ? 16'384 : std::round(v * 100) / 100;
    if (kind == Kind::counter) v = std::round(v);
    std::int64_t last = 0;
    for (std::size_t i = 0; i < n; ++i) {
        double t = t0 + 5.0 * static_cast<double>(i) + jitter(rng);
        if (unit(rng) < 0.01) t += 1 + 2 * unit(rng);
        const auto ts = std::max(last + 1, static_cast<std::int64_t>(std::floor(t)));
        if (kind == Kind::gauge)
            v = std::clamp(std::round((v + step(rng)) * 100) / 100, 0.0, 100.0);
        else if (kind == Kind::counter)
            v += std::round(5.0 * 10'000 * (0.5 + unit(rng)));
        out.push_back({ts, v});
        last = ts;
    }
    return out;
}

}  // namespace beat::bench
