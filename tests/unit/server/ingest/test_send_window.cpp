#include <catch2/catch.hpp>

#include "beat_server/core/ingest/send_window.hpp"

using namespace beat;

TEST_CASE("a send window lets N sends through in any window and the next once the oldest left",
          "[send_window]") {
    SendWindow<3> w;
    CHECK(w.try_send(0, 10'000));
    CHECK(w.try_send(1000, 10'000));
    CHECK(w.try_send(9000, 10'000));
    CHECK_FALSE(w.try_send(9500, 10'000));
    CHECK_FALSE(w.try_send(9999, 10'000));
    CHECK(w.try_send(10'000, 10'000));  // The send at 0 has left the window.
    CHECK_FALSE(w.try_send(10'999, 10'000));
    CHECK(w.try_send(11'000, 10'000));
    CHECK(w.try_send(19'000, 10'000));
    CHECK_FALSE(w.try_send(19'001, 10'000));
}

TEST_CASE("a refused send is not counted", "[send_window]") {
    SendWindow<1> w;
    CHECK(w.try_send(0, 1000));
    for (int t = 1; t < 1000; t += 100)
        CHECK_FALSE(w.try_send(t, 1000));
    CHECK(w.try_send(1000, 1000));
}

TEST_CASE("between whole seconds a window ends late rather than early", "[send_window]") {
    SendWindow<1> w;
    CHECK(w.try_send(500, 10'000));
    // 10 s after the send would be 10.5 s: kept in whole seconds, the window lasts until 11 s.
    CHECK_FALSE(w.try_send(10'500, 10'000));
    CHECK_FALSE(w.try_send(10'999, 10'000));
    CHECK(w.try_send(11'000, 10'000));
}
