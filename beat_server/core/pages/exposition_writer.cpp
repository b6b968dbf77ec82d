#include "beat_server/core/pages/exposition_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

#include "common/float_repr.hpp"
#include "common/utf8.hpp"

namespace beat {
namespace {

bool name_char(char c, bool colon) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           (colon && c == ':');
}

bool valid_name(std::string_view name, bool colon) noexcept {
    if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
    for (char c : name) {
        if (!name_char(c, colon)) return false;
    }
    return true;
}

// Appends `text` with backslash and line feed escaped, and the double quote too when `quote`.
void append_escaped(std::string& out, std::string_view text, bool quote) {
    // Most names are ASCII with nothing to escape: one pass over them, and one copy.
    const bool plain = std::none_of(text.begin(), text.end(), [quote](char c) {
        return static_cast<unsigned char>(c) >= 0x80 || c == '\\' || c == '\n' ||
               (quote && c == '"');
    });
    if (plain) {
        out.append(text);
        return;
    }
    if (!valid_utf8(text)) {
        for (char c : text) {
            if (static_cast<unsigned char>(c) >= 0x80) {
                out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER.
            } else {
                append_escaped(out, std::string_view(&c, 1), quote);
            }
        }
        return;
    }
    // Names rarely hold a character to escape: copy the runs between them whole.
    std::size_t run = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c != '\\' && c != '\n' && (c != '"' || !quote)) continue;
        out.append(text.substr(run, i - run));
        out += c == '\n' ? "\\n" : c == '"' ? "\\\"" : "\\\\";
        run = i + 1;
    }
    out.append(text.substr(run));
}

constexpr std::string_view kCounterSuffix = "_total";

}  // namespace

bool valid_metric_name(std::string_view name) noexcept {
    return valid_name(name, true);
}

bool valid_label_name(std::string_view name) noexcept {
    return valid_name(name, false);
}

void append_label_value(std::string& out, std::string_view value) {
    append_escaped(out, value, true);
}

void append_help_text(std::string& out, std::string_view text) {
    append_escaped(out, text, false);
}

void append_sample_value(std::string& out, double value) {
    if (std::isnan(value)) {
        out += "NaN";
    } else if (std::isinf(value)) {
        out += value > 0 ? "+Inf" : "-Inf";
    } else {
        append_float_repr(out, value);
    }
}

void append_sample_value(std::string& out, std::uint64_t value) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out.append(digits, static_cast<std::size_t>(end - digits));
}

void append_family_head(std::string& out, std::string_view name, MetricType type,
                        std::string_view help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    append_help_text(out, help);
    out += "\n# TYPE ";
    out += name;
    out += type == MetricType::counter ? " counter\n" : " gauge\n";
}

void ExpositionWriter::begin(std::string_view name, MetricType type, std::string_view help) {
    if (!valid_metric_name(name)) {
        throw std::invalid_argument(fmt::format("invalid metric name \"{}\"", name));
    }
    if ((type == MetricType::counter) != name.ends_with(kCounterSuffix)) {
        throw std::invalid_argument(
            fmt::format("metric \"{}\": only a counter's name ends in \"_total\"", name));
    }
    if (begun_.contains(name)) {
        throw std::invalid_argument(fmt::format("metric family \"{}\" written twice", name));
    }
    begun_.emplace(name);
    current_ = name;
    append_family_head(out_, name, type, help);
}

void ExpositionWriter::open_sample(std::initializer_list<Label> labels) {
    if (current_.empty()) throw std::logic_error("a sample before any metric family");
    for (auto l = labels.begin(); l != labels.end(); ++l) {
        if (!valid_label_name(l->name) || l->name.starts_with("__")) {
            throw std::invalid_argument(
                fmt::format("metric \"{}\": invalid label name \"{}\"", current_, l->name));
        }
        for (auto m = labels.begin(); m != l; ++m) {
            if (m->name == l->name) {
                throw std::invalid_argument(
                    fmt::format("metric \"{}\": label \"{}\" given twice", current_, l->name));
            }
        }
    }
    out_ += current_;
    if (labels.size() == 0) {
        out_ += ' ';
        return;
    }
    char sep = '{';
    for (const Label& l : labels) {
        out_ += sep;
        out_ += l.name;
        out_ += "=\"";
        append_label_value(out_, l.value);
        out_ += '"';
        sep = ',';
    }
    out_ += "} ";
}

void ExpositionWriter::sample(std::initializer_list<Label> labels, std::uint64_t value) {
    open_sample(labels);
    append_sample_value(out_, value);
    out_ += '\n';
}

void ExpositionWriter::sample(std::initializer_list<Label> labels, double value) {
    open_sample(labels);
    append_sample_value(out_, value);
    out_ += '\n';
}

}  // namespace beat
