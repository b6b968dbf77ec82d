// The plans file (README "Plans"): which collection plan (common/plan.hpp) the server wants each
// host's agent to run. Pure: the caller reads the file and hands over its text.
//
//   [plans.db]
//   hosts = ["db-*", "pg?.example"]      # glob patterns on the host name (fnmatch(3))
//   interval = "2s"                      # the beat interval
//   collectors = { cpu = "2s", mem = "2s", disk = "30s" }
//   plugins = { postgres = "30s" }
//
//   [plans.default]                      # hosts that no other plan matches
//   interval = "5s"
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/plan.hpp"
#include "common/string_hash.hpp"

namespace beat {

inline constexpr std::size_t kMaxPlans = 1000;             // Plans in one file.
inline constexpr std::size_t kMaxPlanPatterns = 64;        // Host patterns of one plan.
inline constexpr std::size_t kMaxPlanPatternLength = 255;  // Bytes of one pattern.
// The plan for hosts that no other plan's patterns match.
inline constexpr std::string_view kDefaultPlanName = "default";

// The collectors beat's agents know (beat_client/core/collectors.hpp). A plan may name others (a
// newer agent may know them); the file then loads with a warning.
inline constexpr std::string_view kKnownCollectors[] = {"cpu",    "mem",  "load", "kernel",
                                                        "uptime", "disk", "net",  "agent"};

// One plan of the file, as sent: its body encoded (encode_plan()) and its version.
struct PlanEntry {
    Plan plan;
    std::vector<std::string> hosts;  // Glob patterns, as written.
    std::string body;
    std::uint32_t version = 0;
    std::size_t line = 0;  // Where the plan's table starts in the file.
};

class PlanBook {
  public:
    // What match() returns for a host that has no plan.
    static constexpr std::uint32_t kNoPlan = 0xffffffff;

    // An empty book: no host has a plan.
    PlanBook() = default;

    // Parses the TOML `text` of a plans file named `origin` (which messages and origin() give).
    // Throws ConfigError "origin:LINE: plans.NAME.KEY: what is wrong" (or "origin:LINE:COLUMN:
    // ..." for a syntax error or a non-ASCII character): an unknown key, a value of the wrong
    // type, a duration that does not read or an interval outside kMinIntervalMs..kMaxIntervalMs,
    // a plan or item name that is not valid_plan_name(), a plan named "local" (reserved), a plan
    // other than "default" without hosts, more than kMaxPlans plans, kMaxPlanPatterns patterns or
    // kMaxPlanItems collectors or plugins, a pattern empty or longer than kMaxPlanPatternLength,
    // or a plan whose body would exceed kMaxPlanBody bytes. Collector names outside
    // kKnownCollectors are not errors: each gives a line of warnings(). O(size of text).
    static PlanBook parse(std::string_view text, std::string_view origin);

    // The plans in file order.
    std::span<const PlanEntry> plans() const noexcept { return entries_; }
    // The index in plans() of the plan of the host named `host`: the first in file order whose
    // patterns match the name, else the plan named "default", else kNoPlan. Patterns without
    // wildcards are looked up in a hash table; the others are tried with fnmatch(3), without
    // flags, up to the first plan an exact name picks. Never allocates: O(wildcard patterns).
    std::uint32_t match(std::string_view host) const noexcept;
    // The plan called `name`, or nullptr.
    const PlanEntry* find(std::string_view name) const noexcept;
    // "origin:LINE: plans.NAME.collectors.KEY: ..." for each unknown collector, in file order.
    const std::vector<std::string>& warnings() const noexcept { return warnings_; }
    // The `origin` the book was parsed from; empty for an empty book.
    const std::string& origin() const noexcept { return origin_; }

  private:
    std::string origin_;
    std::vector<PlanEntry> entries_;
    std::vector<std::string> warnings_;
    // Patterns without wildcards: the name -> the first plan that has it.
    std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>> exact_;
    // Patterns with wildcards, in file order, each with its plan.
    std::vector<std::pair<std::string, std::uint32_t>> globs_;
    std::uint32_t default_ = kNoPlan;
};

// How a newly loaded book differs from the one before, by plan name: plans added, removed, and
// kept under their name with another version, each in the new file's order (removed ones in the
// old file's); `unchanged` counts the rest.
struct PlanChanges {
    std::vector<std::string> added, changed, removed;
    std::size_t unchanged = 0;
};
PlanChanges compare_plans(const PlanBook& before, const PlanBook& after);
// "added db, web; changed default; removed old" (at most `max_names` names of each kind, then
// "and N more"), or "no plan changed".
std::string describe(const PlanChanges& changes, std::size_t max_names = 20);

// `every_ms` as a number of beats of the plan's interval (every_beats()), or nullopt when the plan
// sets no interval: the agent then counts in beats of its own.
std::optional<std::uint32_t> plan_item_beats(const Plan& plan, const PlanItem& item) noexcept;

}  // namespace beat
