// Ownership of libuv handles: a handle lives on the heap from a successful init until libuv's
// close callback, which is the only place it is freed. An owner object can therefore be destroyed
// right after closing its handles (even while unwinding from a failed constructor) without leaving
// libuv a dangling pointer. UvHandle<T> does the closing itself: an object whose handles are
// UvHandle members closes every handle it opened when its constructor throws half-way.
#pragma once

#include <uv.h>

#include <new>
#include <utility>

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

// Owns one handle from init_handle<T>(): it is closed once, by close() or when the owner is
// destroyed, and freed in its close callback. Empty when default-constructed, moved from or
// closed. Once closed, the handle calls none of its owner's callbacks, so the owner may go right
// after.
template <typename T>
class UvHandle {
  public:
    UvHandle() noexcept = default;
    // Initialises a new handle with init_handle<T>(init, loop, what, args...); throws UvError
    // (owning nothing) when init fails.
    template <typename Init, typename... Args>
    UvHandle(Init init, uv_loop_t* loop, const char* what, Args... args)
        : h_(init_handle<T>(init, loop, what, args...)) {}
    UvHandle(UvHandle&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
    // Closes the handle owned so far and takes `other`'s.
    UvHandle& operator=(UvHandle&& other) noexcept {
        if (this != &other) {
            close();
            h_ = std::exchange(other.h_, nullptr);
        }
        return *this;
    }
    ~UvHandle() { close(); }

    T* get() const noexcept { return h_; }
    T* operator->() const noexcept { return h_; }
    explicit operator bool() const noexcept { return h_ != nullptr; }
    // The handle as the uv_handle_t that uv_is_active(), uv_unref() and the like take.
    uv_handle_t* base() const noexcept { return reinterpret_cast<uv_handle_t*>(h_); }

    // Closes the handle (libuv frees it once done) and owns nothing after. Idempotent.
    void close() noexcept { close_handle(h_); }

  private:
    T* h_ = nullptr;
};

}  // namespace beat
