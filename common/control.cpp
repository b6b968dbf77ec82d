#include "common/control.hpp"

#include <cstring>

#include "common/auth_tag.hpp"
#include "common/big_endian.hpp"

namespace beat {

bool is_control(std::string_view d) noexcept {
    return d.size() >= kControlMagic.size() && d.substr(0, kControlMagic.size()) == kControlMagic;
}

DecodeError decode_control(std::string_view d, ControlView& out) noexcept {
    if (d.size() > kMaxControl) return DecodeError::oversized;
    if (d.size() < kControlMagic.size()) return DecodeError::truncated;
    if (!is_control(d)) return DecodeError::bad_magic;
    if (d.size() < 5) return DecodeError::truncated;
    if (static_cast<std::uint8_t>(d[4]) != kControlVersion) return DecodeError::bad_version;
    if (d.size() < kControlFixed) return DecodeError::truncated;
    const auto type = static_cast<std::uint8_t>(d[5]);
    if (type < 1 || type > 4) return DecodeError::bad_type;
    out.type = static_cast<ControlType>(type);
    out.flags = static_cast<std::uint8_t>(d[6]);
    if ((out.flags & ~kFlagAuth) != 0) return DecodeError::bad_flags;
    const std::size_t host_len = static_cast<unsigned char>(d[7]);
    out.incarnation = load_be<std::uint64_t>(d.data() + 8);
    out.number = load_be<std::uint64_t>(d.data() + 16);
    const std::uint64_t time = load_be<std::uint64_t>(d.data() + 24);
    if (time >= static_cast<std::uint64_t>(kMaxSendTimeMs)) return DecodeError::bad_time;
    out.time_ms = static_cast<std::int64_t>(time);
    if (host_len == 0) return DecodeError::bad_length;
    const std::size_t tag_len = (out.flags & kFlagAuth) ? kAuthTagLength : 0;
    if (d.size() < kControlFixed + host_len) return DecodeError::truncated;
    out.host = d.substr(kControlFixed, host_len);
    std::size_t end = kControlFixed + host_len;
    out.payload = d.substr(end, 0);
    if (out.type == ControlType::plan) {
        if (d.size() < end + 2) return DecodeError::truncated;
        const std::size_t len =
            (static_cast<std::size_t>(static_cast<unsigned char>(d[end])) << 8) |
            static_cast<unsigned char>(d[end + 1]);
        if (len == 0 || len > kMaxPlanBody) return DecodeError::bad_length;
        end += 2;
        if (d.size() < end + len) return DecodeError::truncated;
        out.payload = d.substr(end, len);
        end += len;
    }
    if (d.size() < end + tag_len) return DecodeError::truncated;
    if (d.size() > end + tag_len) return DecodeError::bad_length;
    if (!valid_name(out.host)) return DecodeError::bad_host_name;
    out.signed_bytes = d.substr(0, end);
    out.auth_tag = d.substr(end, tag_len);
    return DecodeError::ok;
}

void encode_control(const Control& c, const Key* key, std::string& out) {
    out.clear();
    out.reserve(kControlFixed + c.host.size() + (c.type == ControlType::plan ? 2 : 0) +
                c.payload.size() + (key ? kAuthTagLength : 0));
    out.append(kControlMagic);
    out.push_back(static_cast<char>(kControlVersion));
    out.push_back(static_cast<char>(c.type));
    out.push_back(static_cast<char>(key ? kFlagAuth : 0));
    out.push_back(static_cast<char>(c.host.size()));
    append_be<std::uint64_t>(out, c.incarnation);
    append_be<std::uint64_t>(out, c.number);
    append_be<std::uint64_t>(out, static_cast<std::uint64_t>(c.time_ms));
    out.append(c.host);
    if (c.type == ControlType::plan) {
        out.push_back(static_cast<char>((c.payload.size() >> 8) & 0xff));
        out.push_back(static_cast<char>(c.payload.size() & 0xff));
        out.append(c.payload);
    }
    if (key) append_tag(out, out, *key);
}

bool verify_control(const ControlView& c, const Key& key) noexcept {
    return (c.flags & kFlagAuth) != 0 && tag_matches(c.signed_bytes, c.auth_tag, key);
}

}  // namespace beat
