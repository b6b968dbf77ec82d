#include <catch2/catch.hpp>

#include <variant>

#include "beat_server/core/config/server_config.hpp"
#include "tests/unit/server/config/parse_args.hpp"

using namespace beat;
using beat::test::parse;

namespace {

DetectorConfig detector(std::vector<const char*> args) {
    const auto r = parse(std::move(args));
    REQUIRE(std::holds_alternative<ServerConfig>(r));
    return std::get<ServerConfig>(r).detector;
}
}  // namespace

TEST_CASE("detector options have their documented defaults", "[config][detector]") {
    const DetectorConfig d = detector({});
    CHECK(d.kind == DetectorKind::probe);
    CHECK(d.phi.threshold == 8);
    CHECK(d.phi.pause_intervals == 1.5);
    CHECK(d.probe.threshold == 10);
    CHECK(d.probe.budget_per_s == 10'000);
    CHECK(d.flap.silences == 3);
}

TEST_CASE("a fixed --timeout alone picks the fixed detector", "[config][detector]") {
    CHECK(detector({"--timeout", "10"}).kind == DetectorKind::fixed);
    CHECK(detector({"--timeout", "10", "--detector", "phi"}).kind == DetectorKind::phi);
    CHECK(detector({"--detector", "fixed"}).kind == DetectorKind::fixed);
    CHECK(detector({"--timeout", "10", "--detector", "probe"}).kind == DetectorKind::probe);
}

TEST_CASE("probe detector options are read and checked against their ranges",
          "[config][detector]") {
    const DetectorConfig d = detector({"--probe-threshold", "12.5", "--probe-budget", "500"});
    CHECK(d.kind == DetectorKind::probe);
    CHECK(d.probe.threshold == 12.5);
    CHECK(d.probe.budget_per_s == 500);
    CHECK(detector({"--probe-threshold", "1", "--probe-budget", "1"}).probe.threshold == 1);
    CHECK(std::get<int>(parse({"--probe-threshold", "0.5"})) == 2);
    CHECK(std::get<int>(parse({"--probe-threshold", "17"})) == 2);
    CHECK(std::get<int>(parse({"--probe-budget", "0"})) == 2);
    CHECK(std::get<int>(parse({"--probe-budget", "2.5"})) == 2);
}

TEST_CASE("detector options are read and checked against their ranges", "[config][detector]") {
    const DetectorConfig d = detector({"--detector", "phi", "--phi-threshold", "10.5",
                                       "--phi-pause", "2", "--flap-silences", "0"});
    CHECK(d.phi.threshold == 10.5);
    CHECK(d.phi.pause_intervals == 2);
    CHECK(d.flap.silences == 0);
    CHECK(std::get<int>(parse({"--detector", "swim"})) == 2);
    CHECK(std::get<int>(parse({"--phi-threshold", "0.5"})) == 2);
    CHECK(std::get<int>(parse({"--phi-threshold", "17"})) == 2);
    CHECK(std::get<int>(parse({"--phi-pause", "-1"})) == 2);
    CHECK(std::get<int>(parse({"--flap-silences", "1"})) == 2);
    CHECK(std::get<int>(parse({"--flap-silences", "6"})) == 2);
}
