#include "beat_server/core/liveness.hpp"

#include <cstddef>

namespace beat {

LivenessNode* NodeList::as_node(Link* l) noexcept {
    static_assert(offsetof(LivenessNode, link) == 0);
    return reinterpret_cast<LivenessNode*>(l);
}

LivenessNode* NodeList::front() const noexcept {
    return empty() ? nullptr : as_node(head_.next);
}

void NodeList::push_back(LivenessNode& n) noexcept {
    Link& l = n.link;
    l.prev = head_.prev;
    l.next = &head_;
    head_.prev->next = &l;
    head_.prev = &l;
    l.list = this;
    ++size_;
}

void NodeList::unlink(LivenessNode& n) noexcept {
    Link& l = n.link;
    if (l.list == nullptr) return;
    l.prev->next = l.next;
    l.next->prev = l.prev;
    --l.list->size_;
    l.prev = l.next = nullptr;
    l.list = nullptr;
}

std::int64_t Liveness::timeout_for(std::uint32_t interval_ms) const noexcept {
    if (fixed_timeout_ms_) return *fixed_timeout_ms_;
    return static_cast<std::int64_t>(interval_ms) * multiplier_;
}

HostState Liveness::beat(LivenessNode& n, std::uint32_t interval_ms, std::int64_t now_ms) {
    const HostState before = n.state;
    const std::int64_t timeout = timeout_for(interval_ms);
    NodeList* list = n.link.list;
    const bool same_list = before == HostState::up && n.timeout_ms == timeout && list != nullptr;
    NodeList::unlink(n);
    n.state = HostState::up;
    n.timeout_ms = timeout;
    n.deadline_ms = now_ms + timeout;
    // The common case, a host beating at its usual interval, stays off the map lookup.
    (same_list ? *list : up_[timeout]).push_back(n);
    return before;
}

std::optional<std::int64_t> Liveness::next_deadline() const noexcept {
    std::optional<std::int64_t> best;
    for (const auto& [timeout, list] : up_) {
        if (list.empty()) continue;
        const std::int64_t d = list.front()->deadline_ms;
        if (!best || d < *best) best = d;
    }
    return best;
}

void Liveness::remove(LivenessNode& n) noexcept {
    NodeList::unlink(n);
    n.state = HostState::unknown;
}

std::size_t Liveness::up_count() const noexcept {
    std::size_t n = 0;
    for (const auto& [timeout, list] : up_)
        n += list.size();
    return n;
}

}  // namespace beat
