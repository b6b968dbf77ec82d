// Fills a vector of metrics beat after beat without allocating once the names have been seen.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/wire.hpp"

namespace beat {

// Overwrites `out` from the front, reusing the strings already in it; finish() drops what was
// not overwritten. `out` must outlive the writer.
class MetricWriter {
  public:
    explicit MetricWriter(std::vector<Metric>& out) noexcept : out_(out) {}

    // Appends a metric whose name is the concatenation of `parts`.
    template <typename... Parts>
    void add(double value, const Parts&... parts) {
        std::string& name = slot(value);
        (name.append(parts), ...);
    }

    // Appends a metric and returns its (empty) name for the caller to fill.
    std::string& slot(double value) {
        if (n_ == out_.size()) out_.emplace_back();
        Metric& m = out_[n_++];
        m.name.clear();
        m.value = value;
        return m.name;
    }

    // Removes the metric appended last (one whose name turned out invalid).
    void drop_last() noexcept {
        if (n_ > 0) --n_;
    }

    std::size_t size() const noexcept { return n_; }

    void finish() { out_.resize(n_); }

  private:
    std::vector<Metric>& out_;
    std::size_t n_ = 0;
};

}  // namespace beat
