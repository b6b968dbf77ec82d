// Remembers whether something is failing, so that a failure is logged when it starts and once
// when it ends, not on every attempt.
#pragma once

namespace beat {

class FailureLatch {
  public:
    // Records a failure; true when this starts a run of failures.
    bool fail() noexcept {
        const bool started = !failing_;
        failing_ = true;
        return started;
    }
    // Records a success; true when this ends a run of failures.
    bool succeed() noexcept {
        const bool ended = failing_;
        failing_ = false;
        return ended;
    }
    bool failing() const noexcept { return failing_; }

  private:
    bool failing_ = false;
};

}  // namespace beat
