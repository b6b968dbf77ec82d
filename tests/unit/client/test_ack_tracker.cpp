#include <catch2/catch.hpp>

#include "beat_client/core/ack_tracker.hpp"

using namespace beat;

namespace {

// Sends beats first..last, one a second from `first`; returns the changes that were not none.
std::vector<AckChange> send_beats(AckTracker& t, std::uint64_t first, std::uint64_t last) {
    std::vector<AckChange> changes;
    for (std::uint64_t s = first; s <= last; ++s) {
        const AckChange c = t.on_beat_sent(s, static_cast<std::int64_t>(s) * 1'000'000);
        if (c != AckChange::none) changes.push_back(c);
    }
    return changes;
}

}  // namespace

TEST_CASE("a server is unknown until it acknowledges or 20 beats go unacknowledged",
          "[ack_tracker]") {
    AckTracker t;
    CHECK(t.state() == AckState::unknown);
    CHECK(send_beats(t, 1, 19).empty());
    CHECK(t.state() == AckState::unknown);
    CHECK(t.unacked() == 19);
    CHECK(t.on_beat_sent(20, 20'000'000) == AckChange::never_heard);
    CHECK(t.state() == AckState::unheard);
    CHECK(send_beats(t, 21, 100).empty());
    CHECK(t.unacked() == 100);
}

TEST_CASE("the first acknowledgement is reported once with its round trip", "[ack_tracker]") {
    AckTracker t;
    t.on_beat_sent(1, 5'000'000);
    CHECK(t.on_ack(1, 5'000'250) == AckChange::first_heard);
    CHECK(t.state() == AckState::heard);
    CHECK(t.round_trip_us() == 250);
    CHECK(t.last_acked() == 1);
    CHECK(t.unacked() == 0);
    CHECK(t.on_ack(1, 5'000'900) == AckChange::none);
    CHECK(t.round_trip_us() == 250);
}

TEST_CASE("a server that acknowledges every 4th beat stays heard", "[ack_tracker]") {
    AckTracker t;
    t.on_beat_sent(1, 0);
    REQUIRE(t.on_ack(1, 100) == AckChange::first_heard);
    for (std::uint64_t s = 2; s <= 1000; ++s) {
        CHECK(t.on_beat_sent(s, static_cast<std::int64_t>(s) * 1'000'000) == AckChange::none);
        if (s % 4 == 0)
            CHECK(t.on_ack(s, static_cast<std::int64_t>(s) * 1'000'000 + 300) == AckChange::none);
    }
    CHECK(t.state() == AckState::heard);
    CHECK(t.last_acked() == 1000);
}

TEST_CASE("a server stops acknowledging after 20 beats without one and is heard again at the next",
          "[ack_tracker]") {
    AckTracker t;
    t.on_beat_sent(1, 0);
    REQUIRE(t.on_ack(1, 100) == AckChange::first_heard);
    CHECK(send_beats(t, 2, 20).empty());
    const std::vector<AckChange> lost = send_beats(t, 21, 60);
    REQUIRE(lost.size() == 1);
    CHECK(lost[0] == AckChange::lost);
    CHECK(t.state() == AckState::unheard);
    CHECK(t.on_ack(60, 60'000'400) == AckChange::regained);
    CHECK(t.state() == AckState::heard);
    CHECK(t.round_trip_us() == 400);
}

TEST_CASE("a server first heard after it was taken as never acknowledging is regained",
          "[ack_tracker]") {
    AckTracker t;
    REQUIRE(send_beats(t, 1, 20).size() == 1);
    CHECK(t.on_ack(20, 20'000'100) == AckChange::regained);
}

TEST_CASE("an acknowledgement of a beat not sent yet is ignored", "[ack_tracker]") {
    AckTracker t;
    bool accepted = true;
    CHECK(t.on_ack(1, 0, &accepted) == AckChange::none);
    CHECK_FALSE(accepted);
    t.on_beat_sent(1, 0);
    CHECK(t.on_ack(0, 10, &accepted) == AckChange::none);
    CHECK_FALSE(accepted);
    CHECK(t.on_ack(2, 10, &accepted) == AckChange::none);
    CHECK_FALSE(accepted);
    CHECK(t.state() == AckState::unknown);
    CHECK(t.on_ack(1, 10, &accepted) == AckChange::first_heard);
    CHECK(accepted);
}

TEST_CASE("a late acknowledgement of an older beat counts but measures no round trip",
          "[ack_tracker]") {
    AckTracker t;
    send_beats(t, 1, 8);
    CHECK(t.on_ack(4, 8'000'100) == AckChange::first_heard);
    CHECK_FALSE(t.round_trip_us());
    CHECK(t.unacked() == 0);
    CHECK(t.last_acked() == 4);
}
