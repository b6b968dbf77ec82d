// PostgreSQL array literals in text form ('{...}'), the parameters of the writer's unnest()
// statements: one parameter per column, whatever the number of rows.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace beat {

// '{"a","b\"c"}': every element quoted, '"' and '\' escaped, so any text is kept as it is.
std::string text_array(std::span<const std::string> values);

// '{1,-2,3}'.
std::string int_array(std::span<const std::int64_t> values);

// '{0.5,NaN,Infinity,-Infinity}': each value written so that PostgreSQL reads back exactly the
// same double.
std::string float8_array(std::span<const double> values);

}  // namespace beat
