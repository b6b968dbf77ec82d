// Writes the Prometheus text exposition format 0.0.4. Pure.
//
// The format's rules this writer keeps: a family's `# HELP` and `# TYPE` lines come once, before
// its samples; all samples of a family are written together; metric names match
// [a-zA-Z_:][a-zA-Z0-9_:]* and label names [a-zA-Z_][a-zA-Z0-9_]* (not starting with "__",
// which Prometheus reserves); label values escape backslash, double quote and line feed as \\, \"
// and \n; HELP text escapes backslash and line feed; every line ends with a line feed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>

namespace beat {

// The family types beat exposes. A counter's name ends in "_total", a gauge's does not.
enum class MetricType : std::uint8_t { counter, gauge };

// One label of a sample. `value` is user data (a host or metric name): any bytes, escaped here;
// it should be UTF-8, as the names beat accepts from the network are (common/wire.hpp's
// valid_name, common/protocol.hpp's check_key). When it is not, each of its non-ASCII bytes is
// written as U+FFFD, so that the page stays UTF-8 whatever it is given.
struct Label {
    std::string_view name;
    std::string_view value;
};

// Builds one exposition page, family by family. Samples always belong to the family begun last,
// so families cannot interleave; beginning a family a second time is refused.
class ExpositionWriter {
  public:
    // Writes the HELP and TYPE lines of the family `name` and makes it the current one. Throws
    // std::invalid_argument when `name` is not a valid metric name, when a counter's name does
    // not end in "_total" (or a gauge's does), or when a family of that name was begun already.
    void begin(std::string_view name, MetricType type, std::string_view help);

    // Writes one sample of the current family: its name, `labels` in the order given, and
    // `value`. Integers are written exactly (a counter beyond 2^53 keeps every digit); doubles in
    // their shortest round-trip form, NaN as "NaN" and infinities as "+Inf" and "-Inf". Throws
    // std::logic_error before any begin(), std::invalid_argument for an invalid or reserved label
    // name or a label name given twice. The caller gives each sample of a family a different
    // label set (the format forbids repeats; this is not checked).
    void sample(std::initializer_list<Label> labels, std::uint64_t value);
    void sample(std::initializer_list<Label> labels, double value);
    void sample(std::uint64_t value) { sample({}, value); }
    void sample(double value) { sample({}, value); }

    // Makes room for a page of `bytes` (a hint: the page grows as needed anyway).
    void reserve(std::size_t bytes) { out_.reserve(bytes); }
    // The page so far.
    const std::string& text() const noexcept { return out_; }
    // Hands over the page; the writer is left empty of text but remembers its families.
    std::string take() noexcept { return std::move(out_); }

  private:
    void open_sample(std::initializer_list<Label> labels);

    std::string out_;
    std::string current_;  // The current family's name; empty before begin().
    std::set<std::string, std::less<>> begun_;
};

// True when `name` is a valid metric name: [a-zA-Z_:][a-zA-Z0-9_:]*.
bool valid_metric_name(std::string_view name) noexcept;
// True when `name` is a valid label name: [a-zA-Z_][a-zA-Z0-9_]*.
bool valid_label_name(std::string_view name) noexcept;

// Appends `value` escaped for a label value (\\, \", \n; see Label about UTF-8).
void append_label_value(std::string& out, std::string_view value);
// Appends `text` escaped for a HELP line (\\, \n; UTF-8 as for a label value).
void append_help_text(std::string& out, std::string_view text);
// Appends `value` as a sample value: shortest round-trip digits, "NaN", "+Inf" or "-Inf".
void append_sample_value(std::string& out, double value);
// Appends `value` as a sample value: every digit.
void append_sample_value(std::string& out, std::uint64_t value);

// Appends the HELP and TYPE lines of the family `name`, as ExpositionWriter::begin() writes them
// but without its checks: for a writer that appends a family known to be valid (one that a page
// also writes through begin()) a slice at a time.
void append_family_head(std::string& out, std::string_view name, MetricType type,
                        std::string_view help);

}  // namespace beat
