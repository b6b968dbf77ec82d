#include <catch2/catch.hpp>

#include "beat_server/core/sql/event_row.hpp"

using namespace beat;

namespace {

EventHost host() {
    return {"alpha", SourceAddress{}};
}

// The event `E` about host(), every other figure zero.
template <typename E>
Event about_host() {
    E e{};
    e.host = host();
    return e;
}

}  // namespace

TEST_CASE("a host event becomes a row at its Unix time with its figures as JSON", "[event_row]") {
    HostSilent silent;
    silent.host = host();
    silent.at_ms = 5'000;
    silent.silent_for_ms = 3'100;
    silent.timeout_ms = 3'000;
    silent.last_seq = 42;
    const std::optional<EventRow> row = event_row(silent, 1'700'000'000'000);
    REQUIRE(row);
    CHECK(row->unix_ms == 1'700'000'005'000);
    CHECK(row->host == "alpha");
    CHECK(row->event == "silent");
    CHECK(row->detail == R"({"silent_for_ms":3100,"timeout_ms":3000,"last_seq":42})");

    HostSettled settled;
    settled.host = host();
    settled.state = HostState::up;
    CHECK(event_row(settled, 0)->detail == R"({"state":"up","since_heard_ms":0})");
    HostBack back;
    back.host = host();
    back.restarted = true;
    // After a restart, or from a PyHeartBeat host, what was lost is unknown: null, not 0.
    CHECK(event_row(back, 0)->detail == R"({"away_for_ms":0,"lost":null,"restarted":true})");
    back.restarted = false;
    back.lost = 3;
    CHECK(event_row(back, 0)->detail == R"({"away_for_ms":0,"lost":3,"restarted":false})");
    back.numbered = false;
    CHECK(event_row(back, 0)->detail == R"({"away_for_ms":0,"lost":null,"restarted":false})");
}

TEST_CASE("every host event has a row and the other events none", "[event_row]") {
    for (const Event& e :
         {about_host<HostNew>(), about_host<HostRestarted>(), about_host<HostSilent>(),
          about_host<HostBack>(), about_host<HostFlapping>(), about_host<HostSettled>(),
          about_host<HostForgotten>()})
        CHECK(event_row(e, 0));
    CHECK_FALSE(event_row(ServerStalled{}, 0));
    CHECK_FALSE(event_row(SilentSummary{}, 0));
    CHECK_FALSE(event_row(InvalidDatagram{}, 0));
}
