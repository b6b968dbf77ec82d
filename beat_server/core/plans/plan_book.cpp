#include "beat_server/core/plans/plan_book.hpp"

#include <fmt/core.h>
#include <fnmatch.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <tuple>

#include "common/config_value.hpp"
#include "common/every_beats.hpp"
#include "common/toml_value.hpp"

namespace beat {
namespace {

constexpr std::string_view kPlanKeys = "hosts, interval, collectors, plugins";

std::size_t line_of(const toml::node& n) {
    return n.source().begin.line;
}

bool known_collector(std::string_view name) {
    return std::find(std::begin(kKnownCollectors), std::end(kKnownCollectors), name) !=
           std::end(kKnownCollectors);
}

// A pattern that fnmatch(3) without flags matches only to itself.
bool is_literal(std::string_view pattern) {
    return pattern.find_first_of("*?[\\") == std::string_view::npos;
}

// Reads the plans of one file, naming `origin` and the line in every message.
class PlansReader {
  public:
    PlansReader(std::string_view origin, std::vector<std::string>& warnings)
        : origin_(origin), warnings_(warnings) {}

    [[noreturn]] void fail(const toml::node& at, std::string_view key,
                           std::string_view what) const {
        throw ConfigError(fmt::format("{}:{}: {}: {}", origin_, line_of(at), key, what));
    }

    PlanEntry entry(std::string_view name, const toml::table& table) const {
        const std::string key = fmt::format("plans.{}", name);
        if (!valid_plan_name(name)) {
            fail(table, key,
                 fmt::format("a plan's name is 1 to {} letters, digits, '_' or '-'",
                             kMaxPlanNameLength));
        }
        if (name == kLocalPlanName) {
            fail(table, key,
                 "the name is reserved for the plan that sends an agent back to its local "
                 "settings");
        }
        PlanEntry e;
        e.plan.name = name;
        e.line = line_of(table);
        bool has_hosts = false;
        for (auto&& [k, node] : table) {
            const std::string_view part = k.str();
            const std::string item_key = fmt::format("{}.{}", key, part);
            if (part == "hosts") {
                e.hosts = patterns(node, item_key);
                has_hosts = true;
            } else if (part == "interval") {
                e.plan.interval_ms = period(node, item_key);
            } else if (part == "collectors") {
                e.plan.collectors = items(node, item_key, true);
            } else if (part == "plugins") {
                e.plan.plugins = items(node, item_key, false);
            } else {
                fail(node, item_key, fmt::format("unknown key (known: {})", kPlanKeys));
            }
        }
        if (!has_hosts && name != kDefaultPlanName) {
            fail(table, key,
                 "no hosts: every plan but \"default\" names the hosts it is for (hosts = "
                 "[\"db-*\"])");
        }
        try {
            encode_plan(e.plan, e.body);
        } catch (const std::invalid_argument& error) {
            fail(table, key, error.what());
        }
        e.version = plan_version(e.body);
        return e;
    }

  private:
    // A period: an interval, or how often a collector or plugin runs.
    std::int64_t period(const toml::node& n, const std::string& key) const {
        try {
            return duration_setting(key, duration_text(n, key), kMinIntervalMs, kMaxIntervalMs);
        } catch (const ConfigError& e) {
            throw ConfigError(fmt::format("{}:{}: {}", origin_, line_of(n), e.what()));
        }
    }

    std::vector<std::string> patterns(const toml::node& n, const std::string& key) const {
        const toml::array* list = n.as_array();
        if (list == nullptr)
            fail(n, key, "expected an array of glob patterns, got " + toml_type_name(n));
        if (list->empty() || list->size() > kMaxPlanPatterns)
            fail(n, key, fmt::format("expected 1 to {} patterns", kMaxPlanPatterns));
        std::vector<std::string> out;
        for (const toml::node& p : *list) {
            const auto* s = p.as_string();
            if (s == nullptr) fail(p, key, "expected a string pattern, got " + toml_type_name(p));
            if (s->get().empty() || s->get().size() > kMaxPlanPatternLength) {
                fail(
                    p, key,
                    fmt::format("expected a pattern of 1 to {} characters", kMaxPlanPatternLength));
            }
            out.push_back(s->get());
        }
        return out;
    }

    // A table of names to periods: the collectors (`collectors`) or the plugins of a plan.
    std::vector<PlanItem> items(const toml::node& n, const std::string& key,
                                bool collectors) const {
        const toml::table* table = n.as_table();
        if (table == nullptr) {
            fail(n, key,
                 fmt::format("expected a table of names and periods ({{ {} = \"30s\" }}), got {}",
                             collectors ? "cpu" : "postgres", toml_type_name(n)));
        }
        if (table->size() > kMaxPlanItems)
            fail(n, key, fmt::format("more than {} in one plan", kMaxPlanItems));
        std::vector<PlanItem> out;
        for (auto&& [k, node] : *table) {
            const std::string_view name = k.str();
            const std::string item_key = fmt::format("{}.{}", key, name);
            if (!valid_plan_name(name)) {
                fail(node, item_key,
                     fmt::format("a name is 1 to {} letters, digits, '_' or '-'",
                                 kMaxPlanNameLength));
            }
            out.push_back({std::string(name), period(node, item_key)});
            if (collectors && !known_collector(name)) {
                warnings_.push_back(fmt::format(
                    "{}:{}: {}: not a collector beat's agents know (cpu, mem, load, kernel, "
                    "uptime, disk, net, agent): an agent that does not know it leaves it out",
                    origin_, line_of(node), item_key));
            }
        }
        return out;
    }

    std::string_view origin_;
    std::vector<std::string>& warnings_;
};

}  // namespace

PlanBook PlanBook::parse(std::string_view text, std::string_view origin) {
    PlanBook book;
    book.origin_ = origin;
    const toml::table root = parse_config_toml(text, origin);
    PlansReader reader(origin, book.warnings_);
    // The plans in file order (a table iterates in the order of its keys).
    std::vector<std::tuple<std::size_t, std::size_t, std::string_view, const toml::table*>> found;
    for (auto&& [k, node] : root) {
        if (k.str() != "plans") {
            reader.fail(node, k.str(), "unknown key (a plans file holds [plans.NAME] tables)");
        }
        const toml::table* plans = node.as_table();
        if (plans == nullptr)
            reader.fail(node, "plans", "expected [plans.NAME] tables, got " + toml_type_name(node));
        for (auto&& [name, plan] : *plans) {
            const toml::table* t = plan.as_table();
            if (t == nullptr) {
                reader.fail(plan, fmt::format("plans.{}", name.str()),
                            "expected a table ([plans.NAME]), got " + toml_type_name(plan));
            }
            const auto& begin = plan.source().begin;
            found.emplace_back(begin.line, begin.column, name.str(), t);
        }
    }
    std::sort(found.begin(), found.end());
    for (const auto& [line, column, name, table] : found) {
        if (book.entries_.size() == kMaxPlans) {
            reader.fail(*table, fmt::format("plans.{}", name),
                        fmt::format("more than {} plans in one file", kMaxPlans));
        }
        const auto index = static_cast<std::uint32_t>(book.entries_.size());
        book.entries_.push_back(reader.entry(name, *table));
        for (const std::string& p : book.entries_.back().hosts) {
            if (is_literal(p)) {
                book.exact_.emplace(p, index);
            } else {
                book.globs_.emplace_back(p, index);
            }
        }
        if (name == kDefaultPlanName) book.default_ = index;
    }
    return book;
}

std::uint32_t PlanBook::match(std::string_view host) const noexcept {
    std::uint32_t best = kNoPlan;
    if (const auto it = exact_.find(host); it != exact_.end()) best = it->second;
    // fnmatch() wants the name NUL-terminated; no host name is longer than kMaxNameLength.
    char name[kMaxNameLength + 1];
    if (!globs_.empty() && host.size() <= kMaxNameLength) {
        std::memcpy(name, host.data(), host.size());
        name[host.size()] = '\0';
        for (const auto& [pattern, index] : globs_) {
            if (index >= best) break;
            if (::fnmatch(pattern.c_str(), name, 0) == 0) return index;
        }
    }
    return best != kNoPlan ? best : default_;
}

const PlanEntry* PlanBook::find(std::string_view name) const noexcept {
    for (const PlanEntry& e : entries_) {
        if (e.plan.name == name) return &e;
    }
    return nullptr;
}

PlanChanges compare_plans(const PlanBook& before, const PlanBook& after) {
    PlanChanges c;
    for (const PlanEntry& e : after.plans()) {
        const PlanEntry* old = before.find(e.plan.name);
        if (old == nullptr) {
            c.added.push_back(e.plan.name);
        } else if (old->version != e.version) {
            c.changed.push_back(e.plan.name);
        } else {
            ++c.unchanged;
        }
    }
    for (const PlanEntry& e : before.plans()) {
        if (after.find(e.plan.name) == nullptr) c.removed.push_back(e.plan.name);
    }
    return c;
}

std::string describe(const PlanChanges& changes, std::size_t max_names) {
    std::string out;
    const auto list = [&](std::string_view what, const std::vector<std::string>& names) {
        if (names.empty()) return;
        out += fmt::format("{}{}", out.empty() ? "" : "; ", what);
        for (std::size_t i = 0; i < names.size() && i < max_names; ++i)
            out += fmt::format("{} {}", i ? "," : "", names[i]);
        if (names.size() > max_names) out += fmt::format(" and {} more", names.size() - max_names);
    };
    list("added", changes.added);
    list("changed", changes.changed);
    list("removed", changes.removed);
    return out.empty() ? "no plan changed" : out;
}

std::optional<std::uint32_t> plan_item_beats(const Plan& plan, const PlanItem& item) noexcept {
    if (!plan.interval_ms) return std::nullopt;
    return every_beats(item.every_ms, *plan.interval_ms);
}

}  // namespace beat
