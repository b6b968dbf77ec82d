#include <catch2/catch.hpp>

#include <vector>

#include "beat_server/core/report/event_tee.hpp"

using namespace beat;

namespace {

struct Recorder : EventSink {
    std::vector<Event> events;
    void on_event(const Event& e) override { events.push_back(e); }
};

}  // namespace

TEST_CASE("the tee hands each event to its first sink, and to the second once it is set",
          "[event_tee]") {
    Recorder first, second;
    EventTee tee(first);
    tee.on_event(ServerStalled{1, 2, 3});
    tee.set_second(&second);
    tee.on_event(ServerStalled{4, 5, 6});
    CHECK(first.events.size() == 2);
    REQUIRE(second.events.size() == 1);
    CHECK(std::get<ServerStalled>(second.events[0]).at_ms == 4);
    tee.set_second(nullptr);
    tee.on_event(ServerStalled{7, 8, 9});
    CHECK(second.events.size() == 1);
}
