// PostgreSQL's binary wire formats for what the writer sends: one-dimensional arrays as bound
// parameters (array_send's layout) and rows of COPY ... FROM STDIN (FORMAT binary). Every number
// is in network byte order; PostgreSQL reads them without parsing text. Pure.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace beat {

// PostgreSQL's epoch (2000-01-01 00:00:00 UTC) in Unix seconds: timestamptz counts microseconds
// from it.
inline constexpr std::int64_t kPostgresEpochUnixS = 946'684'800;

// The timestamptz of Unix second `unix_s`, in microseconds since PostgreSQL's epoch.
constexpr std::int64_t timestamptz_of(std::int64_t unix_s) noexcept {
    return (unix_s - kPostgresEpochUnixS) * 1'000'000;
}

// A bigint[] (int8[]) parameter in binary format: dimensions, no NULLs, lower bound 1.
std::string int8_array_binary(std::span<const std::int64_t> values);

// A timestamptz[] parameter in binary format, one element per Unix second of `unix_s`.
std::string timestamptz_array_binary(std::span<const std::int64_t> unix_s);

// A float8[] parameter in binary format: each double's IEEE 754 bits, NaN and infinities
// included, so PostgreSQL stores exactly the same value.
std::string float8_array_binary(std::span<const double> values);

// A whole COPY ... FROM STDIN (FORMAT binary) stream of rows (bigint, timestamptz, float8):
// header, one tuple per row, trailer. The three spans have the same length.
std::string copy_binary_points(std::span<const std::int64_t> series,
                               std::span<const std::int64_t> unix_s,
                               std::span<const double> values);

}  // namespace beat
