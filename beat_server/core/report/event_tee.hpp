// A sink that hands every event to a first sink and then, once one is set, to a second: the log
// reporter, and the PostgreSQL sink when --postgres is given.
#pragma once

#include "beat_server/core/ingest/events.hpp"

namespace beat {

class EventTee : public EventSink {
  public:
    // `first` must outlive the tee.
    explicit EventTee(EventSink& first) noexcept : first_(first) {}
    // `second` (nullptr: none) must outlive the tee or be unset first.
    void set_second(EventSink* second) noexcept { second_ = second; }

    void on_event(const Event& event) override {
        first_.on_event(event);
        if (second_ != nullptr) second_->on_event(event);
    }

  private:
    EventSink& first_;
    EventSink* second_ = nullptr;
};

}  // namespace beat
