#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

#include "beat_server/core/ingest/sequence_window.hpp"

using namespace beat;
using V = SequenceWindow::Verdict;

TEST_CASE("consecutive beats lose nothing", "[sequence]") {
    SequenceWindow w;
    CHECK(w.observe(1, 10).verdict == V::first);
    for (std::uint64_t s = 11; s < 20; ++s) {
        const auto r = w.observe(1, s);
        CHECK(r.verdict == V::next);
        CHECK(r.lost == 0);
    }
}

TEST_CASE("a gap counts the missing beats as lost", "[sequence]") {
    SequenceWindow w;
    w.observe(1, 1);
    const auto r = w.observe(1, 5);
    CHECK(r.verdict == V::next);
    CHECK(r.lost == 3);
}

TEST_CASE("a reordered beat takes its loss back once", "[sequence]") {
    SequenceWindow w;
    w.observe(1, 1);
    CHECK(w.observe(1, 3).lost == 1);
    const auto late = w.observe(1, 2);
    CHECK(late.verdict == V::late);
    CHECK(late.recovered);
    CHECK(w.observe(1, 2).verdict == V::duplicate);
}

TEST_CASE("a late beat older than the first one heard was never counted lost", "[sequence]") {
    SequenceWindow w;
    w.observe(1, 10);
    CHECK(w.observe(1, 12).lost == 1);
    const auto older = w.observe(1, 5);
    CHECK(older.verdict == V::late);
    CHECK_FALSE(older.recovered);
    CHECK(w.observe(1, 11).recovered);
}

TEST_CASE("a gap of 2^63 beats or more counts in full", "[sequence]") {
    SequenceWindow w;
    w.observe(1, 0);
    const auto r = w.observe(1, std::numeric_limits<std::uint64_t>::max());
    CHECK(r.verdict == V::next);
    CHECK(r.lost == std::numeric_limits<std::uint64_t>::max() - 1);
}

TEST_CASE("an exact duplicate is recognised", "[sequence]") {
    SequenceWindow w;
    w.observe(1, 7);
    CHECK(w.observe(1, 7).verdict == V::duplicate);
    CHECK(w.observe(1, 7).verdict == V::duplicate);
    CHECK(w.observe(1, 8).lost == 0);
}

TEST_CASE("a beat older than the window is stale", "[sequence]") {
    SequenceWindow w;
    w.observe(1, 1000);
    CHECK(w.observe(1, 1000 - SequenceWindow::kWindow).verdict == V::stale);
    CHECK(w.observe(1, 1000 - SequenceWindow::kWindow + 1).verdict == V::late);
}

TEST_CASE("a new incarnation is a restart with no loss, even with a lower sequence", "[sequence]") {
    SequenceWindow w;
    w.observe(1, 500);
    const auto r = w.observe(2, 1);
    CHECK(r.verdict == V::restart);
    CHECK(r.lost == 0);
    CHECK(w.observe(2, 2).lost == 0);
}

TEST_CASE("a jump larger than the window clears it", "[sequence]") {
    SequenceWindow w;
    w.observe(1, 1);
    CHECK(w.observe(1, 1 + 1000).lost == 999);
    CHECK(w.observe(1, 1).verdict == V::stale);
    CHECK(w.observe(1, 1001 - SequenceWindow::kWindow + 1).verdict == V::late);
    CHECK(w.observe(1, 1000).verdict == V::late);
}

TEST_CASE("a restored window continues from the kept sequence without counting loss",
          "[sequence]") {
    SequenceWindow w;
    w.restore(7, 100);
    CHECK(w.observe(7, 100).verdict == SequenceWindow::Verdict::duplicate);
    CHECK(w.observe(7, 99).verdict == SequenceWindow::Verdict::duplicate);
    const auto r = w.observe(7, 101);
    CHECK(r.verdict == SequenceWindow::Verdict::next);
    CHECK(r.lost == 0);
    CHECK(w.observe(8, 1).verdict == SequenceWindow::Verdict::restart);
}
