#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "common/plan.hpp"

using namespace beat;

namespace {

Plan db_plan() {
    Plan p;
    p.name = "db";
    p.interval_ms = 2000;
    p.collectors = std::vector<PlanItem>{{"cpu", 2000}, {"mem", 2000}, {"disk", 30000}};
    p.plugins = std::vector<PlanItem>{{"postgres", 30000}};
    return p;
}

std::string encoded(const Plan& p) {
    std::string out;
    encode_plan(p, out);
    return out;
}

DecodeError decode(std::string_view body) {
    Plan p;
    return decode_plan(body, p);
}

}  // namespace

TEST_CASE("a plan's body is laid out as docs/datagram.md shows, byte for byte", "[plan]") {
    Plan p;
    p.name = "db";
    p.interval_ms = 2000;
    p.collectors = std::vector<PlanItem>{{"cpu", 2000}};
    const std::string expected(
        "\x02"
        "db"                // name
        "\x03"              // parts: interval, collectors
        "\x00\x00\x07\xd0"  // interval 2000 ms
        "\x01"              // 1 collector
        "\x03"
        "cpu"
        "\x00\x00\x07\xd0",  // cpu every 2000 ms
        17);
    CHECK(encoded(p) == expected);
    Plan back;
    REQUIRE(decode_plan(expected, back) == DecodeError::ok);
    CHECK(back == p);
}

TEST_CASE("a plan survives encode and decode, each part present or not", "[plan]") {
    const Plan full = db_plan();
    for (int mask = 0; mask < 8; ++mask) {
        Plan p;
        p.name = "p" + std::to_string(mask);
        if (mask & 1) p.interval_ms = full.interval_ms;
        if (mask & 2) p.collectors = full.collectors;
        if (mask & 4) p.plugins = std::vector<PlanItem>{};
        Plan back;
        back.interval_ms = 1;  // Overwritten: a decode leaves nothing of an earlier plan.
        REQUIRE(decode_plan(encoded(p), back) == DecodeError::ok);
        CHECK(back == p);
    }
}

TEST_CASE("an empty list is not an absent one: it says that nothing of its kind runs", "[plan]") {
    Plan none;
    none.name = "quiet";
    none.collectors = std::vector<PlanItem>{};
    Plan local;
    local.name = "quiet";
    CHECK(encoded(none) != encoded(local));
    CHECK(plan_version(encoded(none)) != plan_version(encoded(local)));
}

TEST_CASE("the version is a hash of the body: any change changes it, and it is never 0", "[plan]") {
    const std::string body = encoded(db_plan());
    const std::uint32_t v = plan_version(body);
    CHECK(v != 0);
    CHECK(plan_version(body) == v);
    Plan p = db_plan();
    p.interval_ms = 2001;
    CHECK(plan_version(encoded(p)) != v);
    p = db_plan();
    (*p.plugins)[0].every_ms = 29000;
    CHECK(plan_version(encoded(p)) != v);
    CHECK(format_plan_version(0x1a2b3c4d) == "1a2b3c4d");
    CHECK(format_plan_version(7) == "00000007");
}

TEST_CASE("the encoder refuses what the decoder would", "[plan]") {
    Plan p = db_plan();
    p.name = "web servers";
    CHECK_THROWS_AS(encoded(p), std::invalid_argument);
    p = db_plan();
    p.interval_ms = kMaxIntervalMs + 1;
    CHECK_THROWS_AS(encoded(p), std::invalid_argument);
    p = db_plan();
    p.collectors->push_back({"cpu", 5000});
    CHECK_THROWS_AS(encoded(p), std::invalid_argument);
    p = db_plan();
    p.plugins->push_back({"x", 5});
    CHECK_THROWS_AS(encoded(p), std::invalid_argument);
    p = db_plan();
    p.plugins->clear();
    for (std::size_t i = 0; i <= kMaxPlanItems; ++i)
        p.plugins->push_back({"p" + std::to_string(i), 1000});
    CHECK_THROWS_AS(encoded(p), std::invalid_argument);
    // 2 x 32 items of 64-byte names are more than a body may hold.
    p = db_plan();
    p.collectors->clear();
    p.plugins->clear();
    for (std::size_t i = 0; i < kMaxPlanItems; ++i) {
        std::string name(kMaxPlanNameLength, 'c');
        name.replace(0, 2, std::to_string(10 + i));
        p.collectors->push_back({name, 1000});
        p.plugins->push_back({name, 1000});
    }
    std::string out = "kept";
    CHECK_THROWS_AS(encode_plan(p, out), std::invalid_argument);
    CHECK(out == "kept");
}

TEST_CASE("every way a plan body can be wrong has its decode error", "[plan]") {
    const std::string good = encoded(db_plan());
    REQUIRE(decode(good) == DecodeError::ok);
    for (std::size_t n = 0; n < good.size(); ++n) {
        INFO("prefix " << n);
        CHECK(decode(good.substr(0, n)) == DecodeError::truncated);
    }
    CHECK(decode(good + "x") == DecodeError::bad_length);
    CHECK(decode(std::string(kMaxPlanBody + 1, '\x01')) == DecodeError::oversized);
    std::string d = good;
    d[0] = 0;
    CHECK(decode(d) == DecodeError::bad_length);
    d = good;
    d[1] = ' ';
    CHECK(decode(d) == DecodeError::bad_metric_name);
    d = good;
    d[3] = '\x08';
    CHECK(decode(d) == DecodeError::bad_flags);
    d = good;
    d.replace(4, 4, std::string(4, '\0'));
    CHECK(decode(d) == DecodeError::bad_interval);
    d = good;
    d[8] = static_cast<char>(kMaxPlanItems + 1);
    CHECK(decode(d) == DecodeError::bad_length);
    // The second collector renamed to the first's name.
    d = good;
    d.replace(9 + 1 + 3 + 4 + 1, 3, "cpu");
    CHECK(decode(d) == DecodeError::bad_metric_name);
}

TEST_CASE("plan names are short ASCII words a metric name can start with", "[plan]") {
    CHECK(valid_plan_name("db"));
    CHECK(valid_plan_name("web_front-2"));
    CHECK(valid_plan_name(std::string(kMaxPlanNameLength, 'a')));
    CHECK_FALSE(valid_plan_name(""));
    CHECK_FALSE(valid_plan_name(std::string(kMaxPlanNameLength + 1, 'a')));
    CHECK_FALSE(valid_plan_name("a.b"));
    CHECK_FALSE(valid_plan_name("a/b"));
    CHECK_FALSE(valid_plan_name("caf\xc3\xa9"));
}
