// Fuzz driver for the plans file (beat_server/core/plans/plan_book.hpp): every input is parsed as
// a plans file, and a book that loads is matched against host names taken from it.
//
// Invariants, for any input:
// - Parsing either succeeds or throws ConfigError; anything else escaping is a crash.
// - A book that loads is within its limits: at most kMaxPlans plans in file order (lines never
//   go back), each named validly and never "local", with 1 to kMaxPlanPatterns patterns of 1 to
//   kMaxPlanPatternLength bytes (none only for "default"), and a body of at most kMaxPlanBody
//   bytes that decodes to the plan it was encoded from and hashes to its version (never 0).
// - find() finds every plan by its name; there are no more warnings than collectors.
// - match() picks what a plain scan picks: the first plan in file order with a pattern that
//   fnmatch(3) matches, else "default", else none (for each pattern's text as a host name, with
//   its wildcards as they are and replaced, and a few names of the input's own).
// - A book compared with itself has changed nothing.
#include <fnmatch.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "beat_server/core/plans/plan_book.hpp"
#include "common/config_value.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace beat::fuzz {
namespace {

// The plan a plain scan of `book` picks for `host`.
std::uint32_t scan(const PlanBook& book, const std::string& host) {
    std::uint32_t fallback = PlanBook::kNoPlan;
    for (std::size_t i = 0; i < book.plans().size(); ++i) {
        const PlanEntry& e = book.plans()[i];
        for (const std::string& p : e.hosts) {
            if (::fnmatch(p.c_str(), host.c_str(), 0) == 0) return static_cast<std::uint32_t>(i);
        }
        if (e.plan.name == kDefaultPlanName) fallback = static_cast<std::uint32_t>(i);
    }
    return fallback;
}

void check_match(const PlanBook& book, const std::string& host) {
    // A host name never holds a NUL, and is at most kMaxNameLength bytes.
    if (host.find('\0') != std::string::npos || host.size() > kMaxNameLength) return;
    FUZZ_CHECK(book.match(host) == scan(book, host));
}

void check_book(const PlanBook& book, std::string_view text) {
    FUZZ_CHECK(book.plans().size() <= kMaxPlans);
    std::size_t line = 0;
    std::size_t collectors = 0;
    std::size_t names = 0;  // Host names tried, bounded so that a run stays short.
    for (const PlanEntry& e : book.plans()) {
        FUZZ_CHECK(e.line >= line);
        line = e.line;
        FUZZ_CHECK(valid_plan_name(e.plan.name) && e.plan.name != kLocalPlanName);
        FUZZ_CHECK(book.find(e.plan.name) == &e);
        FUZZ_CHECK(e.hosts.size() <= kMaxPlanPatterns);
        FUZZ_CHECK(!e.hosts.empty() || e.plan.name == kDefaultPlanName);
        for (const std::string& p : e.hosts)
            FUZZ_CHECK(!p.empty() && p.size() <= kMaxPlanPatternLength);
        FUZZ_CHECK(e.body.size() <= kMaxPlanBody);
        Plan decoded;
        FUZZ_CHECK(decode_plan(e.body, decoded) == DecodeError::ok);
        FUZZ_CHECK(decoded == e.plan);
        FUZZ_CHECK(e.version == plan_version(e.body) && e.version != 0);
        if (e.plan.collectors) collectors += e.plan.collectors->size();
        for (const std::string& p : e.hosts) {
            if (++names > 64) break;
            std::string plain = p;
            std::replace_if(
                plain.begin(), plain.end(), [](char c) { return c == '*' || c == '?'; }, 'x');
            check_match(book, p);
            check_match(book, plain);
        }
    }
    FUZZ_CHECK(book.warnings().size() <= collectors);
    for (const std::string& host :
         {std::string(), std::string("db-1"), std::string(text.substr(0, 32))})
        check_match(book, host);
    const PlanChanges same = compare_plans(book, book);
    FUZZ_CHECK(same.added.empty() && same.changed.empty() && same.removed.empty());
    FUZZ_CHECK(same.unchanged == book.plans().size());
}

}  // namespace
}  // namespace beat::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace beat;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const PlanBook book = PlanBook::parse(text, "fuzz.toml");
        fuzz::check_book(book, text);
    } catch (const ConfigError&) {
    }
    return 0;
}
