// The failure detector's schedule: every host that has something due (a silence to declare, a
// flap to settle) holds one entry keyed by when that is, and the earliest entry arms the server's
// one detector timer.
//
// Why a 4-ary heap with the position stored in the node, and not a timing wheel: deadlines are
// arbitrary per host (the phi detector computes each one from the host's own statistics), the
// server arms its timer at the exact earliest deadline (a silent host is reported within a
// millisecond of it, no periodic wake-ups), and the tests pin deadlines to the millisecond. A
// heap gives the exact minimum in O(1) and moves an entry in O(log4 n): at 100,000 hosts about
// nine levels, each one 64-byte cache line holding four children. A hierarchical wheel moves an
// entry in O(1) but knows only the slot of its earliest entry, so the earliest deadline costs a
// scan of a slot (thousands of hosts in a 64 ms slot at that scale) or an early wake-up and a
// cascade; a flat 1 ms wheel is exact but costs memory in proportion to the longest deadline.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace beat {

// The part of a node the queue owns: its key and where it sits. Embed one in each node.
struct DeadlineHook {
    static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
    std::int64_t deadline_ms = 0;
    std::uint32_t index = kNone;  // Position in the heap, kNone when not queued.

    bool queued() const noexcept { return index != kNone; }
};

// A min-queue of `Node`s by deadline. `Node` holds a DeadlineHook named `hook`; the queue stores
// pointers, so a node must stay where it is while queued (cancel() it before it moves or dies).
template <typename Node>
class DeadlineQueue {
  public:
    bool empty() const noexcept { return heap_.empty(); }
    std::size_t size() const noexcept { return heap_.size(); }

    // The node with the earliest deadline (ties in no particular order); the queue is not empty.
    Node& top() const noexcept { return *heap_.front().node; }
    // The earliest deadline; the queue is not empty.
    std::int64_t next_deadline() const noexcept { return heap_.front().deadline_ms; }

    // Queues `n` at `deadline_ms`, or moves it there if it is queued already. O(log n).
    void schedule(Node& n, std::int64_t deadline_ms) {
        DeadlineHook& h = n.hook;
        h.deadline_ms = deadline_ms;
        if (!h.queued()) {
            h.index = static_cast<std::uint32_t>(heap_.size());
            heap_.push_back({deadline_ms, &n});
            sift_up(h.index);
            return;
        }
        const std::int64_t old = heap_[h.index].deadline_ms;
        heap_[h.index].deadline_ms = deadline_ms;
        if (deadline_ms < old) {
            sift_up(h.index);
        } else if (deadline_ms > old) {
            sift_down(h.index);
        }
    }

    // Takes `n` out of the queue; nothing happens if it is not queued. O(log n).
    void cancel(Node& n) noexcept {
        DeadlineHook& h = n.hook;
        if (!h.queued()) return;
        const std::uint32_t i = h.index;
        h.index = DeadlineHook::kNone;
        const Entry last = heap_.back();
        heap_.pop_back();
        if (i == heap_.size()) return;
        place(i, last);
        // The entry moved into the hole may belong above or below it.
        if (i > 0 && last.deadline_ms < heap_[parent(i)].deadline_ms) {
            sift_up(i);
        } else {
            sift_down(i);
        }
    }

  private:
    struct Entry {
        std::int64_t deadline_ms;
        Node* node;
    };
    static constexpr std::uint32_t kArity = 4;

    static std::uint32_t parent(std::uint32_t i) noexcept { return (i - 1) / kArity; }

    void place(std::uint32_t i, const Entry& e) noexcept {
        heap_[i] = e;
        e.node->hook.index = i;
    }

    void sift_up(std::uint32_t i) noexcept {
        const Entry e = heap_[i];
        while (i > 0) {
            const std::uint32_t p = parent(i);
            if (heap_[p].deadline_ms <= e.deadline_ms) break;
            place(i, heap_[p]);
            i = p;
        }
        place(i, e);
    }

    void sift_down(std::uint32_t i) noexcept {
        const Entry e = heap_[i];
        const auto n = static_cast<std::uint32_t>(heap_.size());
        for (;;) {
            const std::uint32_t first = i * kArity + 1;
            if (first >= n) break;
            const std::uint32_t end = first + kArity < n ? first + kArity : n;
            std::uint32_t best = first;
            for (std::uint32_t c = first + 1; c < end; ++c) {
                if (heap_[c].deadline_ms < heap_[best].deadline_ms) best = c;
            }
            if (heap_[best].deadline_ms >= e.deadline_ms) break;
            place(i, heap_[best]);
            i = best;
        }
        place(i, e);
    }

    std::vector<Entry> heap_;
};

}  // namespace beat
