// The failure detector: which hosts are up and which have gone silent.
//
// A host is silent once it has not been heard for its timeout (a fixed one, or a multiple of the
// interval the host advertises). Detection is event-driven: hosts with the same timeout are kept
// in one list in the order they were last heard, so the list's head is always the next of them to
// expire. A beat moves its host to the tail of its list (O(1)); expiry pops heads whose deadline
// has passed (O(hosts that expired)); the next deadline is the earliest head over the lists, one
// list per distinct timeout in use (in practice one or a handful). Time is always a parameter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>

namespace beat {

// An intrusive doubly linked list of LivenessNodes with O(1) push_back and unlink.
struct LivenessNode;
class NodeList {
  public:
    NodeList() noexcept { head_.prev = head_.next = &head_; }
    NodeList(const NodeList&) = delete;
    NodeList& operator=(const NodeList&) = delete;

    bool empty() const noexcept { return head_.next == &head_; }
    LivenessNode* front() const noexcept;
    void push_back(LivenessNode& n) noexcept;
    static void unlink(LivenessNode& n) noexcept;
    std::size_t size() const noexcept { return size_; }

    template <typename F>
    void for_each(F&& f) const {
        for (Link* l = head_.next; l != &head_;) {
            Link* next = l->next;  // f may unlink the node it is given.
            f(*as_node(l));
            l = next;
        }
    }

    struct Link {
        Link* prev = nullptr;
        Link* next = nullptr;
        NodeList* list = nullptr;
    };

  private:
    static LivenessNode* as_node(Link* l) noexcept;
    Link head_;
    std::size_t size_ = 0;
};

enum class HostState : std::uint8_t { unknown, up, silent };

// The detector's state for one host; embedded in the host's record, which `owner` points to.
struct LivenessNode {
    NodeList::Link link;
    void* owner = nullptr;
    HostState state = HostState::unknown;
    std::int64_t timeout_ms = 0;
    std::int64_t deadline_ms = 0;      // While up: when it becomes silent if nothing arrives.
    std::int64_t silent_since_ms = 0;  // While silent: when that was detected.
};

class Liveness {
  public:
    // `fixed_timeout_ms` set: every host gets that timeout; otherwise `multiplier` times the
    // host's advertised interval.
    explicit Liveness(std::optional<std::int64_t> fixed_timeout_ms = {},
                      int multiplier = 3) noexcept
        : fixed_timeout_ms_(fixed_timeout_ms), multiplier_(multiplier) {}

    std::int64_t timeout_for(std::uint32_t interval_ms) const noexcept;

    // Records that the host of `n` was heard at `now_ms` advertising `interval_ms`: it is up until
    // now + timeout. Returns the state it had before (unknown for a new host). O(1) when its
    // timeout is unchanged.
    HostState beat(LivenessNode& n, std::uint32_t interval_ms, std::int64_t now_ms);

    // Marks every up host whose deadline is at or before `now_ms` silent and calls
    // `on_silent(LivenessNode&)` for each, earliest deadline first. Returns how many.
    template <typename F>
    std::size_t expire(std::int64_t now_ms, F&& on_silent);

    // The earliest deadline of an up host, or nullopt when no host is up.
    std::optional<std::int64_t> next_deadline() const noexcept;

    // Forgets `n` (e.g. before its host record is dropped).
    void remove(LivenessNode& n) noexcept;

    // Calls f(LivenessNode&) for each silent host in the order they were detected; f may remove().
    template <typename F>
    void for_each_silent(F&& f) const {
        silent_.for_each(f);
    }

    std::size_t up_count() const noexcept;
    std::size_t silent_count() const noexcept { return silent_.size(); }

  private:
    std::optional<std::int64_t> fixed_timeout_ms_;
    int multiplier_;
    std::map<std::int64_t, NodeList> up_;  // Keyed by timeout.
    NodeList silent_;
};

template <typename F>
std::size_t Liveness::expire(std::int64_t now_ms, F&& on_silent) {
    std::size_t n = 0;
    for (auto it = up_.begin(); it != up_.end();) {
        NodeList& list = it->second;
        while (!list.empty() && list.front()->deadline_ms <= now_ms) {
            LivenessNode& node = *list.front();
            NodeList::unlink(node);
            node.state = HostState::silent;
            node.silent_since_ms = now_ms;
            silent_.push_back(node);
            ++n;
            on_silent(node);
        }
        it = list.empty() ? up_.erase(it) : std::next(it);
    }
    return n;
}

}  // namespace beat
