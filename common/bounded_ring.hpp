// The latest N values appended, oldest first: a ring that grows with what it holds up to N, then
// overwrites its oldest. Pure.
#pragma once

#include <cstddef>
#include <vector>

namespace beat {

template <typename T, std::size_t N>
class BoundedRing {
  public:
    static constexpr std::size_t kCapacity = N;

    // Appends `v`, dropping the oldest once N are held. Amortised O(1).
    void push(const T& v) {
        if (items_.size() < N) {
            items_.push_back(v);
            return;
        }
        items_[head_] = v;
        head_ = (head_ + 1) % N;
    }
    std::size_t size() const noexcept { return items_.size(); }
    bool empty() const noexcept { return items_.empty(); }
    // Value i, oldest first; i must be below size().
    const T& operator[](std::size_t i) const noexcept {
        return items_[(head_ + i) % items_.size()];
    }
    // The newest value; the ring must not be empty.
    const T& back() const noexcept { return (*this)[items_.size() - 1]; }

  private:
    std::vector<T> items_;
    std::size_t head_ = 0;  // The oldest, once full.
};

}  // namespace beat
