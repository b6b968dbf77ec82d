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
    CHECK(d.kind == DetectorKind::fixed);
    CHECK(d.phi.threshold == 8);
    CHECK(d.phi.pause_intervals == 1.5);
    CHECK(d.flap.silences == 3);
}

TEST_CASE("a fixed --timeout alone picks the fixed detector", "[config][detector]") {
    CHECK(detector({"--timeout", "10"}).kind == DetectorKind::fixed);
    CHECK(detector({"--timeout", "10", "--detector", "phi"}).kind == DetectorKind::phi);
    CHECK(detector({"--detector", "fixed"}).kind == DetectorKind::fixed);
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
