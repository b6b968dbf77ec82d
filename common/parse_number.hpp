// Decimal integers that fill a whole field, as the protocol, the command line, /proc and the
// environment write them. Each parser reads all of `text` or nothing: no blanks, no base prefix, no
// digit separators, and a value outside the result's range gives nullopt. Pure, noexcept, and
// bounded by the length of `text`.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace beat {

// Decimal digits, at least one, and no sign ("0", "007", "18446744073709551615").
std::optional<std::uint64_t> parse_u64(std::string_view text) noexcept;

// Whether a signed number may start with '+' as well as '-'.
enum class PlusSign { refused, accepted };

// Decimal digits, at least one, after an optional '-' ("-5", "1700000000"), or, with
// PlusSign::accepted, an optional '-' or '+' ("+5"); one sign at most.
std::optional<std::int64_t> parse_i64(std::string_view text, PlusSign plus) noexcept;

}  // namespace beat
