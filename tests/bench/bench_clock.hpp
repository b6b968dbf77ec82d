// Clocks shared by the load generators. Benchmarks read the clock themselves; they are glue, not
// core code.
#pragma once

#include <time.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>

namespace beat::bench {

// Nanoseconds on the monotonic clock, for pacing and latency.
inline std::int64_t now_ns() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Nanoseconds of CPU time this thread has used: what a computation costs, without the time it sat
// waiting for a CPU on a busy machine.
inline std::int64_t thread_cpu_ns() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Unix time in milliseconds, as an agent stamps its beats.
inline std::int64_t wall_ms() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

// Sleeps until `deadline_ns` on the monotonic clock; returns at once when it has passed.
inline void sleep_until_ns(std::int64_t deadline_ns) noexcept {
    timespec ts{};
    ts.tv_sec = deadline_ns / 1'000'000'000;
    ts.tv_nsec = deadline_ns % 1'000'000'000;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

// Seconds this process has spent runnable but waiting for a CPU, from /proc/self/schedstat; 0 when
// the kernel does not say. Time lost to other processes shows up here, not in CPU time.
inline double runqueue_wait_seconds() noexcept {
    unsigned long long run_ns = 0, wait_ns = 0;
    std::FILE* f = std::fopen("/proc/self/schedstat", "r");
    if (f == nullptr) return 0;
    const int n = std::fscanf(f, "%llu %llu", &run_ns, &wait_ns);
    std::fclose(f);
    return n == 2 ? static_cast<double>(wait_ns) / 1e9 : 0;
}

}  // namespace beat::bench
