#include "beat_client/core/uptime.hpp"

#include "beat_client/core/text_fields.hpp"
#include "common/float_repr.hpp"

namespace beat {

std::optional<double> parse_uptime(std::string_view content) noexcept {
    const auto v = parse_finite_double(next_field(content));
    if (!v || *v < 0) return std::nullopt;
    return v;
}

}  // namespace beat
