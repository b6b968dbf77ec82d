#include "common/toml_value.hpp"

#include <fmt/core.h>

#include <cmath>

#include "common/config_value.hpp"
#include "common/toml_guard.hpp"

namespace beat {

toml::table parse_config_toml(std::string_view text, std::string_view origin) {
    if (const auto at = first_non_ascii(text)) {
        throw ConfigError(fmt::format(
            "{}:{}:{}: a non-ASCII character; the config must be ASCII (write others as \\uXXXX "
            "escapes inside a \"string\")",
            origin, at->line, at->column));
    }
    try {
        return toml::parse(text, origin);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        throw ConfigError(
            fmt::format("{}:{}:{}: {}", origin, where.line, where.column, e.description()));
    }
}

std::string toml_type_name(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a number";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        default:
            return "a date or time";
    }
}

std::string_view string_value(const toml::node& n, std::string_view key) {
    if (const auto* s = n.as_string()) return s->get();
    config_fail(key, "expected a string, got " + toml_type_name(n));
}

double number_value(const toml::node& n, std::string_view key) {
    if (const auto* i = n.as_integer()) return static_cast<double>(i->get());
    if (const auto* f = n.as_floating_point()) return f->get();
    config_fail(key, "expected a number, got " + toml_type_name(n));
}

std::int64_t integer_value(const toml::node& n, std::string_view key) {
    if (const auto* i = n.as_integer()) return i->get();
    config_fail(key, "expected a whole number, got " + toml_type_name(n));
}

std::string duration_text(const toml::node& n, std::string_view key) {
    if (n.is_string()) return std::string(string_value(n, key));
    const double seconds = number_value(n, key);
    if (!std::isfinite(seconds)) config_fail(key, "expected a finite number of seconds");
    return fmt::format("{}", seconds);
}

}  // namespace beat
