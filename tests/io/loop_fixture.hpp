// The loop of a test of beat_server/io/, which the test ends by checking that no handle is left
// open.
#pragma once

#include <uv.h>

#include <stdexcept>

namespace beat::test {

// A libuv loop for one test case.
class TestLoop {
  public:
    TestLoop() {
        if (uv_loop_init(&loop_) != 0) throw std::runtime_error("uv_loop_init failed");
    }
    TestLoop(const TestLoop&) = delete;
    TestLoop& operator=(const TestLoop&) = delete;
    ~TestLoop() {
        if (!closed_) close_leftovers();
    }

    uv_loop_t* get() noexcept { return &loop_; }

    // Runs one iteration, which frees every handle closed so far, and closes the loop: true when
    // no handle was left open. One iteration rather than a run to the end, so that a handle left
    // open (a listening socket) fails the test instead of keeping it waiting.
    bool closes_with_no_handle_open() {
        uv_run(&loop_, UV_RUN_NOWAIT);
        closed_ = uv_loop_close(&loop_) == 0;
        return closed_;
    }

  private:
    // After a failed check: closes what was left open so that the loop can go.
    void close_leftovers() noexcept {
        uv_walk(
            &loop_,
            [](uv_handle_t* h, void*) {
                if (!uv_is_closing(h)) uv_close(h, nullptr);
            },
            nullptr);
        uv_run(&loop_, UV_RUN_NOWAIT);
        uv_loop_close(&loop_);
    }

    uv_loop_t loop_{};
    bool closed_ = false;
};

}  // namespace beat::test
