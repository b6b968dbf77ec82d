#include "beat_client/core/loadavg.hpp"

#include "beat_client/core/text_fields.hpp"
#include "common/float_repr.hpp"

namespace beat {

std::optional<LoadAvg> parse_loadavg(std::string_view content) noexcept {
    LoadAvg out;
    for (double* slot : {&out.one, &out.five, &out.fifteen}) {
        const auto v = parse_finite_double(next_field(content));
        if (!v || *v < 0) return std::nullopt;
        *slot = *v;
    }
    return out;
}

}  // namespace beat
