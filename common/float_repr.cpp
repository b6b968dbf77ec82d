#include "common/float_repr.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

#include "common/parse_number.hpp"

namespace beat {
namespace {

// For number text that from_chars rejected as out of range (`s` holds an optional '-', digits with
// an optional point, and an optional exponent): true when it is too small for a double rather than
// too large. The decimal exponent of its first significant digit tells which.
bool underflows(std::string_view s) noexcept {
    if (s.front() == '-') s.remove_prefix(1);
    const std::size_t e_pos = s.find_first_of("eE");
    const std::string_view mantissa = s.substr(0, e_pos);
    std::int64_t exponent = 0;
    if (e_pos != std::string_view::npos) {
        std::string_view digits = s.substr(e_pos + 1);
        const bool negative = !digits.empty() && digits.front() == '-';
        if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) {
            digits.remove_prefix(1);
        }
        for (char c : digits) {
            // Saturates far beyond any double's range, and far below int64's.
            if (exponent < 1'000'000'000'000) exponent = exponent * 10 + (c - '0');
        }
        if (negative) exponent = -exponent;
    }
    const std::size_t point = std::min(mantissa.find('.'), mantissa.size());
    const std::size_t first = mantissa.find_first_not_of("0.");
    if (first == std::string_view::npos) return true;
    const auto place = first < point ? static_cast<std::int64_t>(point - first - 1)
                                     : -static_cast<std::int64_t>(first - point);
    return exponent + place < 0;
}

}  // namespace

void append_float_repr(std::string& out, double v) {
    if (std::isnan(v)) {
        out += "nan";
        return;
    }
    if (std::isinf(v)) {
        out += v < 0 ? "-inf" : "inf";
        return;
    }
    // The shortest round-trip digits in scientific form, e.g. "-1.2345e+17", then laid out the way
    // Python's float_repr_style 'short' does: fixed notation for -4 <= exponent < 16.
    char sci[32];
    auto res = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
    std::string_view text(sci, static_cast<std::size_t>(res.ptr - sci));
    const bool negative = text.front() == '-';
    if (negative) text.remove_prefix(1);
    const std::size_t e_pos = text.find('e');
    // to_chars writes the exponent with its sign and at least two digits ("+17", "-05").
    const auto exponent =
        static_cast<int>(parse_i64(text.substr(e_pos + 1), PlusSign::accepted).value_or(0));
    std::string digits;
    for (char c : text.substr(0, e_pos)) {
        if (c != '.') digits.push_back(c);
    }
    if (negative) out.push_back('-');
    const int n = static_cast<int>(digits.size());
    if (exponent >= -4 && exponent < 16) {
        if (exponent < 0) {
            out += "0.";
            out.append(static_cast<std::size_t>(-exponent - 1), '0');
            out += digits;
        } else if (exponent + 1 >= n) {
            out += digits;
            out.append(static_cast<std::size_t>(exponent + 1 - n), '0');
            out += ".0";
        } else {
            out.append(digits, 0, static_cast<std::size_t>(exponent + 1));
            out.push_back('.');
            out.append(digits, static_cast<std::size_t>(exponent + 1));
        }
        return;
    }
    out.push_back(digits[0]);
    if (n > 1) {
        out.push_back('.');
        out.append(digits, 1);
    }
    out.push_back('e');
    out.push_back(exponent < 0 ? '-' : '+');
    const int mag = exponent < 0 ? -exponent : exponent;
    if (mag < 10) out.push_back('0');
    out += std::to_string(mag);
}

std::string float_repr(double v) {
    std::string s;
    append_float_repr(s, v);
    return s;
}

std::optional<double> parse_finite_double(std::string_view s) noexcept {
    const bool plus = !s.empty() && s.front() == '+';
    if (plus) s.remove_prefix(1);
    if (s.empty() || (plus && s.front() == '-')) {
        return std::nullopt;
    }
    // from_chars in general format accepts "inf"/"nan" and their spellings; only digits, a point,
    // a sign after the first character and an exponent marker can start a finite number here.
    const char c0 = s.front() == '-' && s.size() > 1 ? s[1] : s.front();
    if (!(c0 >= '0' && c0 <= '9') && c0 != '.') return std::nullopt;
    double v = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::general);
    if (ptr != s.data() + s.size()) return std::nullopt;
    // Text below the smallest subnormal reads as zero, as Python's float() and strtod() read it;
    // from_chars reports it as out of range, like an overflow.
    if (ec == std::errc::result_out_of_range && underflows(s)) return s.front() == '-' ? -0.0 : 0.0;
    if (ec != std::errc() || !std::isfinite(v)) return std::nullopt;
    return v;
}

}  // namespace beat
