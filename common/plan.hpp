// A collection plan: what the server asks an agent to collect and how often (README "Plans").
// The server reads plans from its plans file and sends a host its plan in a control datagram
// (common/control.hpp, type `plan`); the agent applies it over its local settings. A plan only
// chooses among collectors and plugins the node already has: it names them and gives intervals,
// never commands or paths. Encoding and decoding of the plan's body are pure and bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/wire.hpp"

namespace beat {

// Bounds that keep a plan, signed and with a 255-byte host name, within one control datagram.
inline constexpr std::size_t kMaxPlanItems = 32;       // Collectors, and plugins, in one plan.
inline constexpr std::size_t kMaxPlanNameLength = 64;  // The plan's and each item's name.
inline constexpr std::size_t kMaxPlanBody = 1024;      // Bytes of an encoded plan.

// A collector or plugin the plan runs, every `every_ms` (rounded by the agent to a whole number
// of its beats, at least one).
struct PlanItem {
    std::string name;
    std::int64_t every_ms = 0;
    bool operator==(const PlanItem&) const = default;
};

// What a plan sets. A part left unset leaves the agent's local setting in force; a list that is
// set is complete: only the collectors (or plugins) it names run.
struct Plan {
    std::string name;                         // As in the plans file ("db", "default").
    std::optional<std::int64_t> interval_ms;  // The beat interval, kMinIntervalMs..kMaxIntervalMs.
    std::optional<std::vector<PlanItem>> collectors;
    std::optional<std::vector<PlanItem>> plugins;
    bool operator==(const Plan&) const = default;
};

// The plan a server sends a host that has no plan but whose agent runs one: it sets nothing, so
// every local setting is back in force, and an agent that applies it reports no plan (version 0)
// again. The name is reserved: a plans file cannot define a plan of that name.
inline constexpr std::string_view kLocalPlanName = "local";
inline Plan local_plan() {
    Plan p;
    p.name = kLocalPlanName;
    return p;
}
// True when `plan` sets nothing (whatever its name): applying it means the local settings.
inline bool sets_nothing(const Plan& plan) noexcept {
    return !plan.interval_ms && !plan.collectors && !plan.plugins;
}

// True when `name` may name a plan, a collector or a plugin in a plan: 1..kMaxPlanNameLength
// bytes of ASCII letters, digits, '_' and '-' (a plugin's name prefixes its metrics' names).
bool valid_plan_name(std::string_view name) noexcept;

// Appends the body of `plan` to `out` (docs/datagram.md, "Plans"). Throws std::invalid_argument
// when a name is not valid_plan_name(), an interval is outside kMinIntervalMs..kMaxIntervalMs,
// a list holds more than kMaxPlanItems items or the same name twice, or the body would exceed
// kMaxPlanBody bytes.
void encode_plan(const Plan& plan, std::string& out);

// Decodes a plan body into `out`. Errors: truncated (ends inside a field), oversized (more than
// kMaxPlanBody), bad_flags (an unknown part), bad_length (a zero-length name, too many items, or
// bytes left over), bad_metric_name (a name that is not valid_plan_name(), or twice in a list),
// bad_interval (an interval outside kMinIntervalMs..kMaxIntervalMs). Never reads outside `body`
// and never throws; it allocates only the names it copies into `out`.
DecodeError decode_plan(std::string_view body, Plan& out) noexcept;

// The plan's version: the first 4 bytes of the BLAKE2b hash of its encoded body, never 0 (0 means
// "no plan" in a beat). Any change to the plan changes it, bar a 1 in 2^32 chance.
std::uint32_t plan_version(std::string_view body) noexcept;

// The version as it is shown: 8 lower-case hex digits ("1a2b3c4d").
std::string format_plan_version(std::uint32_t version);

}  // namespace beat
