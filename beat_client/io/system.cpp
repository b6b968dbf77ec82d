#include "beat_client/io/system.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <climits>
#include <ctime>

namespace beat {
namespace {

std::int64_t clock_ms(clockid_t id) noexcept {
    timespec ts{};
    clock_gettime(id, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

}  // namespace

std::int64_t unix_time_ms() noexcept {
    return clock_ms(CLOCK_REALTIME);
}

std::int64_t monotonic_ms() noexcept {
    return clock_ms(CLOCK_MONOTONIC);
}

std::uint64_t random_u64() noexcept {
    std::uint64_t v = 0;
    if (getrandom(&v, sizeof v, 0) == static_cast<ssize_t>(sizeof v)) return v;
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    v = static_cast<std::uint64_t>(ts.tv_nsec) * 0x9e3779b97f4a7c15ULL;
    v ^= static_cast<std::uint64_t>(ts.tv_sec) << 20;
    return v ^ (static_cast<std::uint64_t>(getpid()) << 40);
}

std::string system_host_name() {
    char name[HOST_NAME_MAX + 1] = {};
    if (gethostname(name, sizeof name - 1) != 0) return "";
    return name;
}

std::uint64_t page_size() noexcept {
    const long n = sysconf(_SC_PAGESIZE);
    return n > 0 ? static_cast<std::uint64_t>(n) : 4096;
}

}  // namespace beat
