#include "common/toml_guard.hpp"

namespace beat {

std::optional<TextPosition> first_non_ascii(std::string_view text) noexcept {
    TextPosition pos;
    for (const char c : text) {
        if (static_cast<unsigned char>(c) > 0x7f) return pos;
        if (c == '\n') {
            ++pos.line;
            pos.column = 1;
        } else {
            ++pos.column;
        }
    }
    return std::nullopt;
}

}  // namespace beat
