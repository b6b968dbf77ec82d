#include "beat_client/core/net_dev.hpp"

#include "beat_client/core/text_fields.hpp"
#include "common/parse_number.hpp"

namespace beat {
namespace {

// Receive bytes are the 1st number after the ':', transmit bytes the 9th.
constexpr int kTxBytesField = 8;

}  // namespace

bool parse_net_dev(std::string_view content, std::vector<NetCounters>& out) {
    std::size_t n = 0;
    bool header = false;
    while (!content.empty()) {
        std::string_view line = next_line(content);
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            header = header || line.find('|') != std::string_view::npos;
            continue;
        }
        std::string_view name = line.substr(0, colon);
        while (!name.empty() && (name.front() == ' ' || name.front() == '\t'))
            name.remove_prefix(1);
        if (name.empty() || name == "lo") continue;
        std::string_view rest = line.substr(colon + 1);
        std::optional<std::uint64_t> rx, tx;
        for (int i = 0; i <= kTxBytesField; ++i) {
            const std::string_view field = next_field(rest);
            if (i == 0) rx = parse_u64(field);
            if (i == kTxBytesField) tx = parse_u64(field);
        }
        if (!rx || !tx) continue;
        if (n == out.size()) out.emplace_back();
        out[n].name.assign(name);
        out[n].rx_bytes = *rx;
        out[n].tx_bytes = *tx;
        ++n;
    }
    out.resize(n);
    return header;
}

}  // namespace beat
