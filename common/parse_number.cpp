#include "common/parse_number.hpp"

#include <charconv>
#include <system_error>

namespace beat {
namespace {

// from_chars over the whole of `text`: nullopt unless it reads every byte without overflow.
template <typename T>
std::optional<T> whole(std::string_view text) noexcept {
    T v{};
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, v, 10);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    return v;
}

}  // namespace

std::optional<std::uint64_t> parse_u64(std::string_view text) noexcept {
    // from_chars reads no sign for an unsigned type, so "-1" and "+1" stop at their first byte.
    return whole<std::uint64_t>(text);
}

std::optional<std::int64_t> parse_i64(std::string_view text, PlusSign plus) noexcept {
    // from_chars reads an optional '-' for a signed type, never a '+'.
    if (plus == PlusSign::accepted && text.starts_with('+')) {
        text.remove_prefix(1);
        if (text.starts_with('-')) return std::nullopt;
    }
    return whole<std::int64_t>(text);
}

}  // namespace beat
