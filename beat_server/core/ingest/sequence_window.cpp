#include "beat_server/core/ingest/sequence_window.hpp"

namespace beat {

void SequenceWindow::restore(std::uint64_t incarnation, std::uint64_t highest) noexcept {
    started_ = true;
    incarnation_ = incarnation;
    first_ = highest;
    highest_ = highest;
    mask_ = ~std::uint64_t{0};
}

SequenceWindow::Result SequenceWindow::observe(std::uint64_t incarnation,
                                               std::uint64_t sequence) noexcept {
    if (!started_ || incarnation != incarnation_) {
        const Verdict v = started_ ? Verdict::restart : Verdict::first;
        started_ = true;
        incarnation_ = incarnation;
        first_ = sequence;
        highest_ = sequence;
        mask_ = 1;
        return {v};
    }
    if (sequence > highest_) {
        const std::uint64_t step = sequence - highest_;
        mask_ = step >= kWindow ? 0 : mask_ << step;
        mask_ |= 1;
        highest_ = sequence;
        return {Verdict::next, step - 1};
    }
    const std::uint64_t age = highest_ - sequence;
    if (age >= kWindow) return {Verdict::stale};
    if ((mask_ >> age) & 1U) return {Verdict::duplicate};
    mask_ |= std::uint64_t{1} << age;
    return {Verdict::late, 0, sequence > first_};
}

}  // namespace beat
