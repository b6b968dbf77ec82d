#include "beat_server/core/sql/pg_array.hpp"

#include <fmt/format.h>

#include <cmath>

namespace beat {

std::string text_array(std::span<const std::string> values) {
    std::string out = "{";
    for (const std::string& v : values) {
        if (out.size() > 1) out += ',';
        out += '"';
        for (char c : v) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    out += '}';
    return out;
}

std::string int_array(std::span<const std::int64_t> values) {
    std::string out = "{";
    for (std::int64_t v : values) {
        if (out.size() > 1) out += ',';
        fmt::format_to(std::back_inserter(out), "{}", v);
    }
    out += '}';
    return out;
}

std::string float8_array(std::span<const double> values) {
    std::string out = "{";
    for (double v : values) {
        if (out.size() > 1) out += ',';
        if (std::isnan(v)) {
            out += "NaN";
        } else if (std::isinf(v)) {
            out += v > 0 ? "Infinity" : "-Infinity";
        } else {
            // fmt's shortest form reads back as the same double.
            fmt::format_to(std::back_inserter(out), "{}", v);
        }
    }
    out += '}';
    return out;
}

}  // namespace beat
