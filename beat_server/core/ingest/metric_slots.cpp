#include "beat_server/core/ingest/metric_slots.hpp"

#include <bit>
#include <functional>

namespace beat {

std::size_t MetricSlots::home(std::string_view name) const noexcept {
    return std::hash<std::string_view>{}(name) & (index_.size() - 1);
}

HostMetric* MetricSlots::find(std::string_view name, std::size_t& hint) noexcept {
    if (hint < slots_.size() && slots_[hint].name == name) return &slots_[hint++];
    if (index_.empty()) return nullptr;
    const std::size_t mask = index_.size() - 1;
    for (std::size_t cell = home(name);; cell = (cell + 1) & mask) {
        const std::uint32_t entry = index_[cell];
        if (entry == 0) return nullptr;
        if (slots_[entry - 1].name == name) {
            hint = entry;
            return &slots_[entry - 1];
        }
    }
}

HostMetric& MetricSlots::add(std::string_view name, double value, Series* series,
                             std::int64_t now_ms) {
    slots_.push_back({std::string(name), value, series, now_ms});
    oldest_carried_ms_ = std::min(oldest_carried_ms_, now_ms);
    if (2 * slots_.size() > index_.size()) {
        rebuild();
    } else {
        place(slots_.size() - 1);
    }
    return slots_.back();
}

void MetricSlots::rebuild() {
    index_.assign(slots_.empty() ? 0 : std::bit_ceil(std::max<std::size_t>(8, 2 * slots_.size())),
                  0);
    for (std::size_t i = 0; i < slots_.size(); ++i)
        place(i);
}

void MetricSlots::place(std::size_t i) noexcept {
    const std::size_t mask = index_.size() - 1;
    std::size_t cell = home(slots_[i].name);
    while (index_[cell] != 0)
        cell = (cell + 1) & mask;
    index_[cell] = static_cast<std::uint32_t>(i + 1);
}

}  // namespace beat
