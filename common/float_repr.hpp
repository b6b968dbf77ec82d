// Number text as the put/get protocol writes and reads it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace beat {

// Appends `v` the way Python's repr(float) writes it: the shortest text that reads back to the
// same double, always with a decimal point or an exponent ("10.0", "0.25", "1e+16", "1.5e-05",
// "-0.0", "inf", "nan").
void append_float_repr(std::string& out, double v);
std::string float_repr(double v);

// Parses a finite decimal floating-point number: optional sign, digits with an optional point and
// optional exponent ("10", "-1.5", "1e3", ".5", "+2."). Rejects empty text, spaces, hex, "nan",
// "inf" and values that overflow a double; values too small for a double read as (signed) zero.
std::optional<double> parse_finite_double(std::string_view s) noexcept;

}  // namespace beat
