// Ownership of libuv handles: a handle lives on the heap from a successful init until libuv's
// close callback, which is the only place it is freed. An owner object can therefore be destroyed
// right after closing its handles (even while unwinding from a failed constructor) without leaving
// libuv a dangling pointer.
#pragma once

#include <uv.h>

#include <new>

#include "common/uv/uv_error.hpp"

namespace beat {

// Allocates a T and runs `init(loop, handle, args...)` on it; frees it and throws UvError naming
// `what` when init fails.
template <typename T, typename Init, typename... Args>
T* init_handle(Init init, uv_loop_t* loop, const char* what, Args... args) {
    T* h = new T{};
    const int rc = init(loop, h, args...);
    if (rc < 0) {
        delete h;
        uv_check(rc, what);
    }
    return h;
}

// Closes a handle from init_handle<T>() and frees it in the close callback; sets `h` to null.
// Does nothing for a null or already closing handle.
template <typename T>
void close_handle(T*& h) noexcept {
    if (h == nullptr) return;
    auto* base = reinterpret_cast<uv_handle_t*>(h);
    if (!uv_is_closing(base)) {
        uv_close(base, [](uv_handle_t* p) { delete reinterpret_cast<T*>(p); });
    }
    h = nullptr;
}

}  // namespace beat
