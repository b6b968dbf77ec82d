#include "beat_server/core/ingest/sequence_window.hpp"

namespace beat {

void SequenceWindow::restore(std::uint64_t incarnation, std::uint64_t highest) noexcept {
    started_ = true;
    incarnation_ = incarnation;
    highest_ = highest;
    mask_ = ~std::uint64_t{0};
}

SequenceWindow::Result SequenceWindow::observe(std::uint64_t incarnation,
                                               std::uint64_t sequence) noexcept {
    if (!started_ || incarnation != incarnation_) {
        const Verdict v = started_ ? Verdict::restart : Verdict::first;
        started_ = true;
        incarnation_ = incarnation;
        highest_ = sequence;
        mask_ = 1;
        return {v, 0};
    }
    if (sequence > highest_) {
        const std::uint64_t step = sequence - highest_;
        mask_ = step >= kWindow ? 0 : mask_ << step;
        mask_ |= 1;
        highest_ = sequence;
        return {Verdict::next, static_cast<std::int64_t>(step - 1)};
    }
    const std::uint64_t age = highest_ - sequence;
    if (age >= kWindow) return {Verdict::stale, 0};
    if ((mask_ >> age) & 1U) return {Verdict::duplicate, 0};
    mask_ |= std::uint64_t{1} << age;
    return {Verdict::late, -1};
}

}  // namespace beat
