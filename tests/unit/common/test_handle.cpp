// UvHandle: a handle is wrapped only once its init succeeded, closed once, and freed by the loop.
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <utility>

#include "common/uv/handle.hpp"

using namespace beat;

namespace {

// Handles on `loop` not yet closing.
int open_handles(uv_loop_t* loop) {
    int n = 0;
    uv_walk(
        loop,
        [](uv_handle_t* h, void* count) {
            if (!uv_is_closing(h)) ++*static_cast<int*>(count);
        },
        &n);
    return n;
}

// Runs the loop until the closed handles are freed; true when it then closes cleanly.
bool loop_closes(uv_loop_t* loop) {
    uv_run(loop, UV_RUN_NOWAIT);
    return uv_loop_close(loop) == 0;
}

}  // namespace

TEST_CASE("a handle is closed when its owner goes, once even when closed before", "[handle]") {
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    {
        UvHandle<uv_timer_t> closed_first(uv_timer_init, &loop, "timer init");
        UvHandle<uv_timer_t> left_open(uv_timer_init, &loop, "timer init");
        CHECK(open_handles(&loop) == 2);
        closed_first.close();
        CHECK_FALSE(closed_first);
        CHECK(open_handles(&loop) == 1);
    }
    CHECK(open_handles(&loop) == 0);
    CHECK(loop_closes(&loop));
}

TEST_CASE("a handle whose init fails throws and leaves nothing on the loop", "[handle]") {
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    // A UDP handle cannot be of the AF_UNIX family.
    CHECK_THROWS_WITH((UvHandle<uv_udp_t>(uv_udp_init_ex, &loop, "udp init", unsigned{AF_UNIX})),
                      Catch::StartsWith("udp init: "));
    CHECK(loop_closes(&loop));
}

TEST_CASE("a handle moved into an owner that held one closes the one it held", "[handle]") {
    uv_loop_t loop;
    REQUIRE(uv_loop_init(&loop) == 0);
    {
        UvHandle<uv_timer_t> a(uv_timer_init, &loop, "timer init");
        UvHandle<uv_timer_t> b(uv_timer_init, &loop, "timer init");
        uv_timer_t* kept = b.get();
        a = std::move(b);
        CHECK(a.get() == kept);
        CHECK_FALSE(b);
        CHECK(open_handles(&loop) == 1);
        UvHandle<uv_timer_t> c(std::move(a));
        CHECK(c.get() == kept);
        CHECK(open_handles(&loop) == 1);
    }
    CHECK(loop_closes(&loop));
}
