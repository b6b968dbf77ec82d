#include <catch2/catch.hpp>

#include <fmt/core.h>

#include <string>
#include <vector>

#include "beat_server/core/plans/plan_book.hpp"
#include "common/config_value.hpp"
#include "tests/plans_example.hpp"

using namespace beat;
using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using Catch::Matchers::StartsWith;

namespace {

const std::string kExample(test::kExamplePlans);

// The message PlanBook::parse() throws for `text`, or "" when it parses.
std::string error_of(const std::string& text) {
    try {
        PlanBook::parse(text, "plans.toml");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

// The name of the plan `host` gets, or "none".
std::string plan_of(const PlanBook& book, const std::string& host) {
    const std::uint32_t i = book.match(host);
    return i == PlanBook::kNoPlan ? "none" : book.plans()[i].plan.name;
}

}  // namespace

TEST_CASE("the example plans file gives its plans in file order, each encoded with its version",
          "[plan_book]") {
    const PlanBook book = PlanBook::parse(kExample, "plans.toml");
    REQUIRE(book.plans().size() == 2);
    CHECK(book.origin() == "plans.toml");
    CHECK(book.warnings().empty());

    const PlanEntry& db = book.plans()[0];
    CHECK(db.plan.name == "db");
    CHECK(db.line == 3);
    CHECK(db.hosts == std::vector<std::string>{"db-*", "pg?.example"});
    CHECK(db.plan.interval_ms == 2000);
    // Items come in the order of their names, so the same table always gives the same version.
    CHECK(db.plan.collectors ==
          std::vector<PlanItem>{{"cpu", 2000}, {"disk", 30'000}, {"mem", 2000}});
    CHECK(db.plan.plugins == std::vector<PlanItem>{{"postgres", 30'000}});
    Plan decoded;
    REQUIRE(decode_plan(db.body, decoded) == DecodeError::ok);
    CHECK(decoded == db.plan);
    CHECK(db.version == plan_version(db.body));

    const PlanEntry& fallback = book.plans()[1];
    CHECK(fallback.plan.name == "default");
    CHECK(fallback.line == 9);
    CHECK(fallback.hosts.empty());
    CHECK(fallback.plan.collectors->size() == 5);
    CHECK_FALSE(fallback.plan.plugins);
    CHECK(fallback.version != db.version);
    CHECK(book.find("default") == &fallback);
    CHECK(book.find("web") == nullptr);
}

TEST_CASE("plans keep the order of the file, not of their names", "[plan_book]") {
    const PlanBook book = PlanBook::parse(
        "[plans.zeta]\nhosts = [\"*\"]\n\n[plans.alpha]\nhosts = [\"a*\"]\n\n"
        "[plans.mid]\nhosts = [\"m*\"]\n",
        "f");
    std::vector<std::string> names;
    for (const PlanEntry& e : book.plans())
        names.push_back(e.plan.name);
    CHECK(names == std::vector<std::string>{"zeta", "alpha", "mid"});
    // zeta comes first and matches everything.
    CHECK(plan_of(book, "alpha-1") == "zeta");
}

TEST_CASE("a host gets the first plan in file order whose patterns match its name", "[plan_book]") {
    const PlanBook book = PlanBook::parse(
        "[plans.one]\nhosts = [\"web-1\"]\n"
        "[plans.webs]\nhosts = [\"web-*\", \"db-9\"]\n"
        "[plans.dbs]\nhosts = [\"db-?\", \"pg[0-9].example\"]\n"
        "[plans.exact]\nhosts = [\"db-1\", \"web-2\"]\n",
        "f");
    CHECK(plan_of(book, "web-1") == "one");   // Exact, before the glob of a later plan.
    CHECK(plan_of(book, "web-2") == "webs");  // The glob of an earlier plan beats a later exact.
    CHECK(plan_of(book, "db-9") == "webs");
    CHECK(plan_of(book, "db-1") == "dbs");
    CHECK(plan_of(book, "db-10") == "none");  // '?' is one character.
    CHECK(plan_of(book, "pg3.example") == "dbs");
    CHECK(plan_of(book, "pgx.example") == "none");
    CHECK(plan_of(book, "Web-1") == "none");  // Case counts.
    CHECK(plan_of(book, "") == "none");
}

TEST_CASE("a host no plan matches gets the plan named default, wherever it stands", "[plan_book]") {
    const PlanBook book = PlanBook::parse(
        "[plans.default]\ninterval = 5\n[plans.db]\nhosts = [\"db-*\"]\ninterval = 1\n", "f");
    CHECK(plan_of(book, "db-1") == "db");
    CHECK(plan_of(book, "web-1") == "default");
    CHECK(book.plans()[0].plan.interval_ms == 5000);

    // A default with patterns is matched by them in file order too.
    const PlanBook first = PlanBook::parse(
        "[plans.default]\nhosts = [\"db-1\"]\n[plans.db]\nhosts = [\"db-*\"]\n", "f");
    CHECK(plan_of(first, "db-1") == "default");
    CHECK(plan_of(first, "db-2") == "db");
    CHECK(plan_of(first, "web") == "default");
}

TEST_CASE("patterns are fnmatch globs without flags", "[plan_book]") {
    const PlanBook book = PlanBook::parse(
        "[plans.slash]\nhosts = [\"rack/*\"]\n[plans.dot]\nhosts = [\"*.internal\"]\n"
        "[plans.escaped]\nhosts = [\"star\\\\*\"]\n",
        "f");
    CHECK(plan_of(book, "rack/a/b") == "slash");  // '*' crosses '/' (no FNM_PATHNAME).
    CHECK(plan_of(book, ".internal") == "dot");   // and matches a leading '.' (no FNM_PERIOD).
    CHECK(plan_of(book, "star*") == "escaped");
    CHECK(plan_of(book, "starx") == "none");
}

TEST_CASE("an empty file, or one without plans, gives no host a plan", "[plan_book]") {
    for (const char* text : {"", "# nothing yet\n", "[plans]\n"}) {
        const PlanBook book = PlanBook::parse(text, "f");
        CHECK(book.plans().empty());
        CHECK(book.match("web-1") == PlanBook::kNoPlan);
    }
    CHECK(PlanBook().match("web-1") == PlanBook::kNoPlan);
    CHECK(PlanBook().origin().empty());
}

TEST_CASE("a plan may set only some parts, and an empty list runs nothing of its kind",
          "[plan_book]") {
    const PlanBook book = PlanBook::parse(
        "[plans.quiet]\nhosts = [\"q*\"]\ncollectors = {}\n[plans.fast]\nhosts = "
        "[\"f*\"]\ninterval = \"250ms\"\n",
        "f");
    const Plan& quiet = book.plans()[0].plan;
    CHECK_FALSE(quiet.interval_ms);
    REQUIRE(quiet.collectors);
    CHECK(quiet.collectors->empty());
    CHECK_FALSE(quiet.plugins);
    const Plan& fast = book.plans()[1].plan;
    CHECK(fast.interval_ms == 250);
    CHECK_FALSE(fast.collectors);
}

TEST_CASE("every error in a plans file names the file, the line and the key", "[plan_book]") {
    struct Case {
        std::string text, message;
    };
    const std::vector<Case> cases = {
        {"[plans.db]\nhosts = [\"db-*\"]\nintervall = \"2s\"\n",
         "plans.toml:3: plans.db.intervall: unknown key (known: hosts, interval, collectors, "
         "plugins)"},
        {"[plans.db]\nhosts = \"db-*\"\n",
         "plans.toml:2: plans.db.hosts: expected an array of glob patterns, got a string"},
        {"[plans.db]\nhosts = [\"db-*\",\n  7]\n",
         "plans.toml:3: plans.db.hosts: expected a string pattern, got an integer"},
        {"[plans.db]\nhosts = []\n", "plans.toml:2: plans.db.hosts: expected 1 to 64 patterns"},
        {"[plans.db]\nhosts = [\"\"]\n",
         "plans.toml:2: plans.db.hosts: expected a pattern of 1 to 255 characters"},
        {"[plans.db]\nhosts = [\"db\"]\ninterval = true\n",
         "plans.toml:3: plans.db.interval: expected a number, got a boolean"},
        {"[plans.db]\nhosts = [\"db\"]\ninterval = \"2 parsecs\"\n",
         "plans.toml:3: plans.db.interval: expected seconds (\"5\", \"0.5\") or a duration "
         "(\"250ms\", \"1m\") from 0.01s to 86400s, got \"2 parsecs\""},
        {"[plans.db]\nhosts = [\"db\"]\ninterval = \"5ms\"\n",
         "plans.toml:3: plans.db.interval: expected seconds (\"5\", \"0.5\") or a duration "
         "(\"250ms\", \"1m\") from 0.01s to 86400s, got \"5ms\""},
        {"[plans.db]\nhosts = [\"db\"]\ninterval = \"2d\"\n",
         "plans.toml:3: plans.db.interval: expected seconds (\"5\", \"0.5\") or a duration "
         "(\"250ms\", \"1m\") from 0.01s to 86400s, got \"2d\""},
        {"[plans.db]\nhosts = [\"db\"]\n\ncollectors = [\"cpu\"]\n",
         "plans.toml:4: plans.db.collectors: expected a table of names and periods ({ cpu = "
         "\"30s\" }), got an array"},
        {"[plans.db]\nhosts = [\"db\"]\ncollectors = { cpu = \"2s\", mem = -1 }\n",
         "plans.toml:3: plans.db.collectors.mem: expected seconds (\"5\", \"0.5\") or a duration "
         "(\"250ms\", \"1m\") from 0.01s to 86400s, got \"-1\""},
        {"[plans.db]\nhosts = [\"db\"]\n[plans.db.plugins]\n\"my plugin\" = \"30s\"\n",
         "plans.toml:4: plans.db.plugins.my plugin: a name is 1 to 64 letters, digits, '_' or "
         "'-'"},
        {"[plans.\"db 1\"]\nhosts = [\"db\"]\n",
         "plans.toml:1: plans.db 1: a plan's name is 1 to 64 letters, digits, '_' or '-'"},
        {"\n[plans.local]\nhosts = [\"db\"]\n",
         "plans.toml:2: plans.local: the name is reserved for the plan that sends an agent back "
         "to its local settings"},
        {"[plans.default]\n[plans.db]\ninterval = 1\n",
         "plans.toml:2: plans.db: no hosts: every plan but \"default\" names the hosts it is for "
         "(hosts = [\"db-*\"])"},
        {"plan = 1\n", "plans.toml:1: plan: unknown key (a plans file holds [plans.NAME] tables)"},
        {"plans = 1\n", "plans.toml:1: plans: expected [plans.NAME] tables, got an integer"},
        {"[plans]\ndb = \"db-*\"\n",
         "plans.toml:2: plans.db: expected a table ([plans.NAME]), got a string"},
    };
    for (const Case& c : cases) {
        INFO(c.text);
        CHECK_THAT(error_of(c.text), Equals(c.message));
    }
}

TEST_CASE("a plans file that is not TOML, or not ASCII, is refused with its line and column",
          "[plan_book]") {
    CHECK_THAT(error_of("[plans.db]\nhosts = [\"db\"\n"), StartsWith("plans.toml:2:"));
    CHECK_THAT(error_of("[plans.db]\nhosts = [\"caf\xc3\xa9\"]\n"),
               StartsWith("plans.toml:2:14: a non-ASCII character"));
}

TEST_CASE("a plans file holds at most 1000 plans of at most 64 patterns each", "[plan_book]") {
    std::string text;
    for (int i = 0; i < 1000; ++i)
        text += fmt::format("[plans.p{}]\nhosts = [\"h{}\"]\n", i, i);
    const PlanBook book = PlanBook::parse(text, "plans.toml");
    CHECK(book.plans().size() == 1000);
    CHECK(plan_of(book, "h999") == "p999");
    text += "[plans.one_more]\nhosts = [\"x\"]\n";
    CHECK_THAT(error_of(text),
               Equals("plans.toml:2001: plans.one_more: more than 1000 plans in one file"));

    std::string patterns;
    for (int i = 0; i < 64; ++i)
        patterns += fmt::format("{}\"h{}-*\"", i ? ", " : "", i);
    const PlanBook wide = PlanBook::parse("[plans.wide]\nhosts = [" + patterns + "]\n", "f");
    CHECK(wide.plans()[0].hosts.size() == 64);
    CHECK(plan_of(wide, "h63-a") == "wide");
    CHECK_THAT(error_of("[plans.wide]\nhosts = [" + patterns + ", \"more\"]\n"),
               Equals("plans.toml:2: plans.wide.hosts: expected 1 to 64 patterns"));
}

TEST_CASE("a plan with more items than a plan holds, or too big to send, is refused",
          "[plan_book]") {
    std::string many;
    for (int i = 0; i < 33; ++i)
        many += fmt::format("{}c{} = 1", i ? ", " : "", i);
    CHECK_THAT(error_of("[plans.db]\nhosts = [\"db\"]\ncollectors = { " + many + " }\n"),
               Equals("plans.toml:3: plans.db.collectors: more than 32 in one plan"));

    // 32 plugins with names of 40 characters: 32 x 45 bytes, over the 1,024 of one plan.
    std::string big;
    for (int i = 0; i < 32; ++i)
        big += fmt::format("{}{:0>40} = 30\n", "", i);
    CHECK_THAT(error_of("[plans.big]\nhosts = [\"db\"]\n[plans.big.plugins]\n" + big),
               Equals("plans.toml:1: plans.big: the plan takes more than 1024 bytes encoded"));
}

TEST_CASE("collectors beat's agents do not know load the file with a warning naming the line",
          "[plan_book]") {
    const PlanBook book = PlanBook::parse(
        "[plans.db]\nhosts = [\"db\"]\ncollectors = { cpu = 1, gpu = 1 }\n"
        "plugins = { gpu = 5 }\n[plans.default]\n\ncollectors = { temperature = 10 }\n",
        "plans.toml");
    CHECK(book.plans().size() == 2);
    REQUIRE(book.warnings().size() == 2);
    CHECK_THAT(book.warnings()[0],
               StartsWith("plans.toml:3: plans.db.collectors.gpu: not a collector beat's agents "
                          "know (cpu, mem, load, kernel, uptime, disk, net, agent)"));
    CHECK_THAT(book.warnings()[1],
               StartsWith("plans.toml:7: plans.default.collectors.temperature: not a collector"));
    // The plan still carries it: a newer agent may know it.
    CHECK(book.plans()[0].plan.collectors->size() == 2);
}

TEST_CASE("a reload's changes are told by plan name and version", "[plan_book]") {
    const PlanBook before = PlanBook::parse(kExample, "f");
    const PlanBook after = PlanBook::parse(
        "[plans.web]\nhosts = [\"web-*\"]\n[plans.default]\ninterval = \"10s\"\n", "f");
    const PlanChanges c = compare_plans(before, after);
    CHECK(c.added == std::vector<std::string>{"web"});
    CHECK(c.changed == std::vector<std::string>{"default"});
    CHECK(c.removed == std::vector<std::string>{"db"});
    CHECK(c.unchanged == 0);
    const PlanChanges same = compare_plans(before, PlanBook::parse(kExample, "g"));
    CHECK(same.added.empty());
    CHECK(same.changed.empty());
    CHECK(same.removed.empty());
    CHECK(same.unchanged == 2);
    CHECK(compare_plans(PlanBook(), before).added == std::vector<std::string>{"db", "default"});
}

TEST_CASE("a reload's changes read as one phrase, with at most so many names of each kind",
          "[plan_book]") {
    PlanChanges c;
    CHECK(describe(c) == "no plan changed");
    c.unchanged = 3;
    CHECK(describe(c) == "no plan changed");
    c.added = {"db", "web"};
    c.removed = {"old"};
    CHECK(describe(c) == "added db, web; removed old");
    c.changed = {"a", "b", "c"};
    CHECK(describe(c, 2) == "added db, web; changed a, b and 1 more; removed old");
}

TEST_CASE("an item's period in beats is rounded to whole beats of the plan's interval",
          "[plan_book]") {
    const PlanBook book = PlanBook::parse(kExample, "f");
    const Plan& db = book.plans()[0].plan;
    CHECK(plan_item_beats(db, {"disk", 30'000}) == 15u);
    CHECK(plan_item_beats(db, {"cpu", 2000}) == 1u);
    CHECK(plan_item_beats(db, {"x", 3000}) == 2u);  // 1.5 beats: halves go up.
    CHECK(plan_item_beats(db, {"x", 500}) == 1u);   // At least one.
    Plan no_interval;
    CHECK_FALSE(plan_item_beats(no_interval, {"cpu", 2000}));
}
