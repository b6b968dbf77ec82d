#include "common/plan.hpp"

#include <fmt/core.h>
#include <sodium.h>

#include <stdexcept>

#include "common/sodium_init.hpp"

namespace beat {
namespace {

// The parts of a plan present in its body (one flag byte).
constexpr std::uint8_t kHasInterval = 0x01;
constexpr std::uint8_t kHasCollectors = 0x02;
constexpr std::uint8_t kHasPlugins = 0x04;
constexpr std::uint8_t kKnownParts = kHasInterval | kHasCollectors | kHasPlugins;

bool valid_interval(std::int64_t ms) noexcept {
    return ms >= kMinIntervalMs && ms <= kMaxIntervalMs;
}

void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 3; i >= 0; --i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void put_name(std::string& out, std::string_view name, std::string_view what) {
    if (!valid_plan_name(name))
        throw std::invalid_argument(fmt::format("{} \"{}\": not a valid name", what, name));
    out.push_back(static_cast<char>(name.size()));
    out.append(name);
}

void put_items(std::string& out, const std::vector<PlanItem>& items, std::string_view what) {
    if (items.size() > kMaxPlanItems)
        throw std::invalid_argument(
            fmt::format("more than {} {}s in one plan", kMaxPlanItems, what));
    out.push_back(static_cast<char>(items.size()));
    for (std::size_t i = 0; i < items.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (items[j].name == items[i].name)
                throw std::invalid_argument(
                    fmt::format("{} \"{}\" named twice", what, items[i].name));
        }
        put_name(out, items[i].name, what);
        if (!valid_interval(items[i].every_ms))
            throw std::invalid_argument(
                fmt::format("{} \"{}\": interval out of range", what, items[i].name));
        put_u32(out, static_cast<std::uint32_t>(items[i].every_ms));
    }
}

class BodyReader {
  public:
    explicit BodyReader(std::string_view body) noexcept : rest_(body) {}
    bool done() const noexcept { return rest_.empty(); }

    DecodeError u8(std::uint8_t& out) noexcept {
        if (rest_.empty()) return DecodeError::truncated;
        out = static_cast<std::uint8_t>(rest_[0]);
        rest_.remove_prefix(1);
        return DecodeError::ok;
    }
    DecodeError interval(std::int64_t& out) noexcept {
        if (rest_.size() < 4) return DecodeError::truncated;
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i)
            v = (v << 8) | static_cast<unsigned char>(rest_[i]);
        rest_.remove_prefix(4);
        out = v;
        return valid_interval(out) ? DecodeError::ok : DecodeError::bad_interval;
    }
    DecodeError name(std::string& out) noexcept {
        std::uint8_t len = 0;
        if (DecodeError e = u8(len); e != DecodeError::ok) return e;
        if (len == 0) return DecodeError::bad_length;
        if (rest_.size() < len) return DecodeError::truncated;
        const std::string_view n = rest_.substr(0, len);
        rest_.remove_prefix(len);
        if (!valid_plan_name(n)) return DecodeError::bad_metric_name;
        out.assign(n);
        return DecodeError::ok;
    }
    DecodeError items(std::vector<PlanItem>& out) noexcept {
        std::uint8_t count = 0;
        if (DecodeError e = u8(count); e != DecodeError::ok) return e;
        if (count > kMaxPlanItems) return DecodeError::bad_length;
        out.resize(count);
        for (std::size_t i = 0; i < count; ++i) {
            if (DecodeError e = name(out[i].name); e != DecodeError::ok) return e;
            for (std::size_t j = 0; j < i; ++j) {
                if (out[j].name == out[i].name) return DecodeError::bad_metric_name;
            }
            if (DecodeError e = interval(out[i].every_ms); e != DecodeError::ok) return e;
        }
        return DecodeError::ok;
    }

  private:
    std::string_view rest_;
};

}  // namespace

bool valid_plan_name(std::string_view name) noexcept {
    if (name.empty() || name.size() > kMaxPlanNameLength) return false;
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

void encode_plan(const Plan& plan, std::string& out) {
    const std::size_t start = out.size();
    put_name(out, plan.name, "plan");
    std::uint8_t parts = 0;
    if (plan.interval_ms) parts |= kHasInterval;
    if (plan.collectors) parts |= kHasCollectors;
    if (plan.plugins) parts |= kHasPlugins;
    out.push_back(static_cast<char>(parts));
    if (plan.interval_ms) {
        if (!valid_interval(*plan.interval_ms))
            throw std::invalid_argument("plan interval out of range");
        put_u32(out, static_cast<std::uint32_t>(*plan.interval_ms));
    }
    if (plan.collectors) put_items(out, *plan.collectors, "collector");
    if (plan.plugins) put_items(out, *plan.plugins, "plugin");
    if (out.size() - start > kMaxPlanBody) {
        out.resize(start);
        throw std::invalid_argument(
            fmt::format("the plan takes more than {} bytes encoded", kMaxPlanBody));
    }
}

DecodeError decode_plan(std::string_view body, Plan& out) noexcept {
    if (body.size() > kMaxPlanBody) return DecodeError::oversized;
    BodyReader r(body);
    if (DecodeError e = r.name(out.name); e != DecodeError::ok) return e;
    std::uint8_t parts = 0;
    if (DecodeError e = r.u8(parts); e != DecodeError::ok) return e;
    if ((parts & ~kKnownParts) != 0) return DecodeError::bad_flags;
    out.interval_ms.reset();
    out.collectors.reset();
    out.plugins.reset();
    if (parts & kHasInterval) {
        std::int64_t ms = 0;
        if (DecodeError e = r.interval(ms); e != DecodeError::ok) return e;
        out.interval_ms = ms;
    }
    if (parts & kHasCollectors) {
        if (DecodeError e = r.items(out.collectors.emplace()); e != DecodeError::ok) return e;
    }
    if (parts & kHasPlugins) {
        if (DecodeError e = r.items(out.plugins.emplace()); e != DecodeError::ok) return e;
    }
    return r.done() ? DecodeError::ok : DecodeError::bad_length;
}

std::uint32_t plan_version(std::string_view body) noexcept {
    ensure_sodium();
    unsigned char hash[crypto_generichash_BYTES_MIN];
    crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(body.data()),
                       body.size(), nullptr, 0);
    const std::uint32_t v = (std::uint32_t{hash[0]} << 24) | (std::uint32_t{hash[1]} << 16) |
                            (std::uint32_t{hash[2]} << 8) | std::uint32_t{hash[3]};
    return v == 0 ? 1 : v;
}

std::string format_plan_version(std::uint32_t version) {
    return fmt::format("{:08x}", version);
}

}  // namespace beat
