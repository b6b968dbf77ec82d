#include <catch2/catch.hpp>

#include "beat_server/core/ingest/send_window.hpp"

using namespace beat;

TEST_CASE("a send window lets N sends through in any window and the next once the oldest left",
          "[send_window]") {
    SendWindow<3> w;
    CHECK(w.try_send(0, 1000));
    CHECK(w.try_send(100, 1000));
    CHECK(w.try_send(900, 1000));
    CHECK_FALSE(w.try_send(950, 1000));
    CHECK_FALSE(w.try_send(999, 1000));
    CHECK(w.try_send(1000, 1000));  // The send at 0 has left the window.
    CHECK_FALSE(w.try_send(1099, 1000));
    CHECK(w.try_send(1100, 1000));
    CHECK(w.try_send(1900, 1000));
    CHECK_FALSE(w.try_send(1901, 1000));
}

TEST_CASE("a refused send is not counted", "[send_window]") {
    SendWindow<1> w;
    CHECK(w.try_send(0, 1000));
    for (int t = 1; t < 1000; t += 100)
        CHECK_FALSE(w.try_send(t, 1000));
    CHECK(w.try_send(1000, 1000));
}

TEST_CASE("a send window starts empty whatever the clock reads", "[send_window]") {
    SendWindow<2> w;
    CHECK(w.try_send(-5000, 1000));
    CHECK(w.try_send(-5000, 1000));
    CHECK_FALSE(w.try_send(-4500, 1000));
}
