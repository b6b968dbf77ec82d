#include "common/duration.hpp"

#include <fmt/core.h>

#include <cmath>
#include <iterator>

#include "common/float_repr.hpp"

namespace beat {
namespace {

struct Unit {
    std::string_view suffix;
    std::int64_t ms;
};
// Smallest first, so that "ms" is tried before "m" and "s".
constexpr Unit kUnits[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};

}  // namespace

std::optional<std::int64_t> parse_duration_ms(std::string_view s) noexcept {
    double scale = 1000;
    for (const Unit& u : kUnits) {
        if (s.size() > u.suffix.size() && s.ends_with(u.suffix)) {
            s.remove_suffix(u.suffix.size());
            scale = static_cast<double>(u.ms);
            break;
        }
    }
    const auto v = parse_finite_double(s);
    if (!v || *v < 0) return std::nullopt;
    const double ms = std::round(*v * scale);
    if (ms > 100.0 * 365 * 86'400'000) return std::nullopt;
    return static_cast<std::int64_t>(ms);
}

std::string format_duration(std::int64_t ms) {
    if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
    std::string s = fmt::format("{:.3f}", static_cast<double>(ms) / 1000.0);
    while (s.back() == '0')
        s.pop_back();
    return s + "s";
}

std::string format_duration_unit(std::int64_t ms) {
    if (ms == 0) return "0s";
    for (auto u = std::rbegin(kUnits); u != std::rend(kUnits); ++u) {
        if (ms % u->ms == 0) return fmt::format("{}{}", ms / u->ms, u->suffix);
    }
    return {};  // Unreachable: every ms is a whole number of "ms".
}

}  // namespace beat
