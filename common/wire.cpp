#include "common/wire.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "common/big_endian.hpp"
#include "common/utf8.hpp"

namespace beat {
namespace {

constexpr char kMagic[4] = {'B', 'E', 'A', 'T'};

// Reads big-endian integers from a bounded buffer; every read checks the bytes that are left.
class Reader {
  public:
    explicit Reader(std::string_view buf) noexcept : buf_(buf) {}
    std::size_t left() const noexcept { return buf_.size() - pos_; }
    std::size_t pos() const noexcept { return pos_; }

    template <typename T>
    bool read(T& out) noexcept {
        if (left() < sizeof(T)) return false;
        out = load_be<T>(buf_.data() + pos_);
        pos_ += sizeof(T);
        return true;
    }
    bool bytes(std::size_t n, std::string_view& out) noexcept {
        if (left() < n) return false;
        out = buf_.substr(pos_, n);
        pos_ += n;
        return true;
    }

  private:
    std::string_view buf_;
    std::size_t pos_ = 0;
};

double to_double(std::uint64_t bits) noexcept {
    return std::bit_cast<double>(bits);
}

}  // namespace

std::string_view to_string(DecodeError e) noexcept {
    switch (e) {
        case DecodeError::ok:
            return "ok";
        case DecodeError::truncated:
            return "truncated";
        case DecodeError::oversized:
            return "oversized";
        case DecodeError::bad_magic:
            return "bad_magic";
        case DecodeError::bad_version:
            return "bad_version";
        case DecodeError::bad_flags:
            return "bad_flags";
        case DecodeError::bad_part:
            return "bad_part";
        case DecodeError::bad_interval:
            return "bad_interval";
        case DecodeError::bad_length:
            return "bad_length";
        case DecodeError::bad_host_name:
            return "bad_host_name";
        case DecodeError::bad_metric_name:
            return "bad_metric_name";
        case DecodeError::bad_value:
            return "bad_value";
        case DecodeError::bad_time:
            return "bad_time";
        case DecodeError::bad_type:
            return "bad_type";
    }
    return "unknown";
}

bool valid_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > kMaxNameLength) return false;
    bool multibyte = false;
    for (unsigned char c : name) {
        if (c <= 0x20 || c == 0x7f) return false;
        multibyte |= c >= 0x80;
    }
    // Names are nearly always ASCII, which is valid UTF-8 as it stands.
    return !multibyte || valid_utf8(name);
}

bool MetricCursor::next(MetricView& out) noexcept {
    if (left_ == 0 || rest_.empty()) return false;
    // The decoder validated the layout; one bounds check stays so that misuse cannot overread.
    const std::size_t len = static_cast<unsigned char>(rest_[0]);
    if (rest_.size() < 1 + len + 8) {
        left_ = 0;
        return false;
    }
    out.name = rest_.substr(1, len);
    out.value = to_double(load_be<std::uint64_t>(rest_.data() + 1 + len));
    rest_.remove_prefix(1 + len + 8);
    --left_;
    return true;
}

DecodeError decode_heartbeat(std::string_view d, HeartbeatView& out) noexcept {
    if (d.size() > kMaxDatagram) return DecodeError::oversized;
    if (d.size() < 4) return DecodeError::truncated;
    if (std::memcmp(d.data(), kMagic, 4) != 0) return DecodeError::bad_magic;
    Reader r(d.substr(4));
    if (!r.read(out.version)) return DecodeError::truncated;
    if (out.version != kWireVersion) return DecodeError::bad_version;
    if (!r.read(out.flags)) return DecodeError::truncated;
    if ((out.flags & ~(kFlagAuth | kFlagPlan)) != 0) return DecodeError::bad_flags;
    if (!r.read(out.part) || !r.read(out.parts)) return DecodeError::truncated;
    if (out.parts == 0 || out.part >= out.parts) return DecodeError::bad_part;
    std::uint64_t send_time = 0;
    std::uint8_t host_len = 0;
    if (!r.read(out.incarnation) || !r.read(out.sequence) || !r.read(send_time) ||
        !r.read(out.interval_ms) || !r.read(host_len)) {
        return DecodeError::truncated;
    }
    if (send_time >= static_cast<std::uint64_t>(kMaxSendTimeMs)) return DecodeError::bad_time;
    out.send_time_ms = static_cast<std::int64_t>(send_time);
    if (out.interval_ms < kMinIntervalMs || out.interval_ms > kMaxIntervalMs) {
        return DecodeError::bad_interval;
    }
    if (host_len == 0) return DecodeError::bad_length;
    if (!r.bytes(host_len, out.host)) return DecodeError::truncated;
    if (!valid_name(out.host)) return DecodeError::bad_host_name;
    out.plan_version = 0;
    if (out.flags & kFlagPlan) {
        if (!r.read(out.plan_version)) return DecodeError::truncated;
        // Version 0 means "no plan", which is said by leaving the flag out.
        if (out.plan_version == 0) return DecodeError::bad_flags;
    }
    if (!r.read(out.metric_count)) return DecodeError::truncated;

    const std::size_t tag_len = (out.flags & kFlagAuth) ? kAuthTagLength : 0;
    const std::size_t records_start = 4 + r.pos();
    for (std::uint16_t i = 0; i < out.metric_count; ++i) {
        std::uint8_t len = 0;
        std::string_view name;
        std::uint64_t bits = 0;
        if (!r.read(len)) return DecodeError::truncated;
        if (len == 0) return DecodeError::bad_length;
        if (!r.bytes(len, name) || !r.read(bits)) return DecodeError::truncated;
        if (!valid_name(name)) return DecodeError::bad_metric_name;
        if (!std::isfinite(to_double(bits))) return DecodeError::bad_value;
    }
    const std::size_t records_end = 4 + r.pos();
    if (r.left() < tag_len) return DecodeError::truncated;
    if (r.left() > tag_len) return DecodeError::bad_length;
    out.records = d.substr(records_start, records_end - records_start);
    out.signed_bytes = d.substr(0, records_end);
    out.auth_tag = d.substr(records_end, tag_len);
    return DecodeError::ok;
}

std::string encode_datagram(const Heartbeat& hb, std::span<const Metric> metrics, std::uint8_t part,
                            std::uint8_t parts) {
    std::string out;
    const bool plan = hb.plan_version != 0;
    std::size_t size = kHeaderFixed + hb.host.size() + (plan ? kPlanVersionLength : 0) + 2;
    for (const Metric& m : metrics)
        size += encoded_size(m);
    out.reserve(size);
    out.append(kMagic, 4);
    append_be<std::uint8_t>(out, kWireVersion);
    append_be<std::uint8_t>(out, plan ? kFlagPlan : 0);
    append_be<std::uint8_t>(out, part);
    append_be<std::uint8_t>(out, parts);
    append_be<std::uint64_t>(out, hb.incarnation);
    append_be<std::uint64_t>(out, hb.sequence);
    append_be<std::uint64_t>(out, static_cast<std::uint64_t>(hb.send_time_ms));
    append_be<std::uint32_t>(out, hb.interval_ms);
    append_be<std::uint8_t>(out, static_cast<std::uint8_t>(hb.host.size()));
    out += hb.host;
    if (plan) append_be<std::uint32_t>(out, hb.plan_version);
    append_be<std::uint16_t>(out, static_cast<std::uint16_t>(metrics.size()));
    for (const Metric& m : metrics) {
        append_be<std::uint8_t>(out, static_cast<std::uint8_t>(m.name.size()));
        out += m.name;
        append_be<std::uint64_t>(out, std::bit_cast<std::uint64_t>(m.value));
    }
    return out;
}

std::vector<std::string> pack_beat(const Heartbeat& hb, std::size_t reserve, std::size_t* skipped,
                                   std::size_t max_size) {
    if (!valid_name(hb.host)) throw std::invalid_argument("invalid host name");
    const std::size_t header =
        kHeaderFixed + hb.host.size() + (hb.plan_version != 0 ? kPlanVersionLength : 0) + 2;
    if (max_size > kMaxDatagram) max_size = kMaxDatagram;
    if (header + reserve + 1 + kMaxNameLength + 8 > max_size) {
        throw std::invalid_argument("datagram size too small for one metric");
    }
    const std::size_t budget = max_size - reserve - header;

    std::vector<Metric> kept;
    kept.reserve(hb.metrics.size());
    std::size_t dropped = 0;
    for (const Metric& m : hb.metrics) {
        if (valid_name(m.name) && std::isfinite(m.value)) {
            kept.push_back(m);
        } else {
            ++dropped;
        }
    }
    if (skipped) *skipped = dropped;

    // Greedy split in order: each datagram takes as many whole records as fit its budget.
    std::vector<std::pair<std::size_t, std::size_t>> ranges;
    std::size_t first = 0, used = 0;
    for (std::size_t i = 0; i < kept.size(); ++i) {
        const std::size_t need = encoded_size(kept[i]);
        if (used + need > budget || i - first == 0xffff) {
            ranges.emplace_back(first, i);
            first = i;
            used = 0;
        }
        used += need;
    }
    ranges.emplace_back(first, kept.size());
    if (ranges.size() > 255) throw std::invalid_argument("beat needs more than 255 datagrams");

    std::vector<std::string> out;
    out.reserve(ranges.size());
    const std::span<const Metric> all(kept);
    for (std::size_t p = 0; p < ranges.size(); ++p) {
        auto [a, b] = ranges[p];
        out.push_back(encode_datagram(hb, all.subspan(a, b - a), static_cast<std::uint8_t>(p),
                                      static_cast<std::uint8_t>(ranges.size())));
    }
    return out;
}

}  // namespace beat
