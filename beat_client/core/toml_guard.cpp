#include "beat_client/core/toml_guard.hpp"

namespace beat {

std::optional<TomlPosition> non_ascii_outside_strings(std::string_view text) noexcept {
    enum class In { code, comment, basic, literal, ml_basic, ml_literal };
    In in = In::code;
    TomlPosition pos;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const auto starts = [&](std::string_view s) { return text.substr(i, s.size()) == s; };
        if (c == '\n') {
            // Single-line strings and comments end with their line, terminated or not.
            if (in == In::comment || in == In::basic || in == In::literal) in = In::code;
            ++pos.line;
            pos.column = 1;
            continue;
        }
        switch (in) {
            case In::code:
                if (static_cast<unsigned char>(c) > 0x7f) return pos;
                if (c == '#') {
                    in = In::comment;
                } else if (starts("\"\"\"")) {
                    in = In::ml_basic;
                    i += 2;
                    pos.column += 2;
                } else if (starts("'''")) {
                    in = In::ml_literal;
                    i += 2;
                    pos.column += 2;
                } else if (c == '"') {
                    in = In::basic;
                } else if (c == '\'') {
                    in = In::literal;
                }
                break;
            case In::comment:
                break;
            case In::basic:
            case In::ml_basic:
                if (c == '\\' && i + 1 < text.size() && text[i + 1] != '\n') {
                    ++i;  // The escaped character (a line-ending backslash is handled as text).
                    ++pos.column;
                } else if (in == In::basic && c == '"') {
                    in = In::code;
                } else if (in == In::ml_basic && starts("\"\"\"")) {
                    in = In::code;
                    i += 2;
                    pos.column += 2;
                }
                break;
            case In::literal:
                if (c == '\'') in = In::code;
                break;
            case In::ml_literal:
                if (starts("'''")) {
                    in = In::code;
                    i += 2;
                    pos.column += 2;
                }
                break;
        }
        ++pos.column;
    }
    return std::nullopt;
}

}  // namespace beat
