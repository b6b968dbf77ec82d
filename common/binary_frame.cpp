#include "common/binary_frame.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>

#include "common/big_endian.hpp"
#include "common/protocol.hpp"

namespace beat {
namespace {

// The length of the frame whose first kFrameHead bytes are at `head`.
std::size_t frame_size(const char* head) noexcept {
    return kFrameFixed + static_cast<unsigned char>(head[kFrameHead - 1]);
}

// Checks the one whole frame `bytes` (exactly frame_size() bytes): why it cannot be stored, or
// none with `out` filled in, its name a view into `bytes`.
FrameError decode_frame(std::string_view bytes, MetricFrame& out) noexcept {
    const std::size_t len = bytes.size() - kFrameFixed;
    if (len == 0) return FrameError::empty_name;
    const std::string_view name = bytes.substr(kFrameHead, len);
    switch (check_key(name)) {
        case RequestError::none:
            break;
        case RequestError::key_not_utf8:
            return FrameError::name_not_utf8;
        default:
            return FrameError::bad_name;
    }
    const double value =
        std::bit_cast<double>(load_be<std::uint64_t>(bytes.data() + kFrameHead + len));
    if (!std::isfinite(value)) return FrameError::non_finite_value;
    const std::uint64_t timestamp_us = load_be<std::uint64_t>(bytes.data());
    if (timestamp_us / kMicrosPerSecond > static_cast<std::uint64_t>(kMaxTimestamp)) {
        return FrameError::timestamp_range;
    }
    out = {timestamp_us, name, value};
    return FrameError::none;
}

}  // namespace

std::string_view to_string(FrameError e) noexcept {
    switch (e) {
        case FrameError::none:
            return "none";
        case FrameError::empty_name:
            return "empty_name";
        case FrameError::name_not_utf8:
            return "name_not_utf8";
        case FrameError::bad_name:
            return "bad_name";
        case FrameError::non_finite_value:
            return "non_finite_value";
        case FrameError::timestamp_range:
            return "timestamp_range";
    }
    return "unknown";
}

void encode_frame(std::uint64_t timestamp_us, std::string_view name, double value,
                  std::string& out) {
    if (name.empty() || name.size() > kMaxFrame - kFrameFixed) {
        throw std::invalid_argument("a frame's name is 1 to 255 bytes");
    }
    append_be<std::uint64_t>(out, timestamp_us);
    append_be<std::uint8_t>(out, static_cast<std::uint8_t>(name.size()));
    out += name;
    append_be<std::uint64_t>(out, std::bit_cast<std::uint64_t>(value));
}

FrameDecoder::Step FrameDecoder::next(std::string_view& chunk) noexcept {
    if (error_ != FrameError::none) return Step::error;
    std::string_view whole;
    if (held_ == 0 && chunk.size() >= kFrameHead && chunk.size() >= frame_size(chunk.data())) {
        // The usual case: the frame lies in the chunk as it was read.
        whole = chunk.substr(0, frame_size(chunk.data()));
        chunk.remove_prefix(whole.size());
    } else {
        // Gather the head first, then the rest of the frame it announces.
        hold(kFrameHead, chunk);
        if (held_ >= kFrameHead) hold(frame_size(buffer_.data()), chunk);
        if (held_ < kFrameHead || held_ < frame_size(buffer_.data())) return Step::need_more;
        whole = std::string_view(buffer_.data(), held_);
        held_ = 0;
    }
    error_ = decode_frame(whole, frame_);
    return error_ == FrameError::none ? Step::frame : Step::error;
}

void FrameDecoder::hold(std::size_t upto, std::string_view& chunk) noexcept {
    if (held_ >= upto) return;
    const std::size_t take = std::min(upto - held_, chunk.size());
    std::copy_n(chunk.data(), take, buffer_.data() + held_);
    held_ += take;
    chunk.remove_prefix(take);
}

}  // namespace beat
