// Fuzz driver for the heartbeat datagram codec (common/wire.hpp).
//
// Invariants, for any input taken as a datagram:
// - decode_heartbeat() returns one of the kDecodeErrorCount codes, each with a name of its own,
//   and reads nothing outside the input (libFuzzer hands over an exact-size heap copy, so ASan
//   reports even a one-byte overread).
// - A datagram that decodes has every view inside the input and exactly `metric_count` records,
//   each a valid name with a finite value, that tile `records` end to end; re-encoded from the
//   view alone (encode_datagram(), then its flags and tag as they came) it gives the input back
//   byte for byte.
// And for a beat built from the input's bytes:
// - pack_beat() either throws std::invalid_argument for one of its documented reasons, or gives
//   datagrams of at most max_size - reserve bytes that decode, in order, to the beat's header and
//   exactly its metrics with valid names and finite values, bit for bit.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/wire.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace beat::fuzz {
namespace {

void check_decode(std::string_view input) {
    HeartbeatView v;
    const DecodeError e = decode_heartbeat(input, v);
    FUZZ_CHECK(static_cast<std::size_t>(e) < kDecodeErrorCount);
    FUZZ_CHECK(to_string(e) != "unknown");
    if (e != DecodeError::ok) return;

    for (std::string_view part : {v.host, v.records, v.auth_tag, v.signed_bytes})
        FUZZ_CHECK(within(input, part));
    FUZZ_CHECK(v.auth_tag.size() == ((v.flags & kFlagAuth) ? kAuthTagLength : 0));
    FUZZ_CHECK(v.signed_bytes.size() + v.auth_tag.size() == input.size());

    std::vector<Metric> metrics;
    const char* next_record = v.records.data();
    MetricCursor cursor = v.metrics();
    for (MetricView m; cursor.next(m);) {
        FUZZ_CHECK(m.name.data() == next_record + 1);
        FUZZ_CHECK(within(v.records, m.name));
        FUZZ_CHECK(valid_name(m.name));
        FUZZ_CHECK(std::isfinite(m.value));
        metrics.push_back({std::string(m.name), m.value});
        next_record = m.name.data() + m.name.size() + sizeof(double);
    }
    FUZZ_CHECK(metrics.size() == v.metric_count);
    FUZZ_CHECK(next_record == v.records.data() + v.records.size());

    const Heartbeat hb{std::string(v.host), v.incarnation,  v.sequence, v.send_time_ms,
                       v.interval_ms,       v.plan_version, {}};
    std::string again = encode_datagram(hb, metrics, v.part, v.parts);
    again[kFlagsOffset] = static_cast<char>(v.flags);
    again += v.auth_tag;
    FUZZ_CHECK(again == input);
}

bool same_bits(double a, double b) noexcept {
    return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

void check_pack(FuzzedDataProvider& in) {
    Heartbeat hb;
    hb.host = in.ConsumeRandomLengthString(kMaxNameLength + 1);
    hb.incarnation = in.ConsumeIntegral<std::uint64_t>();
    hb.sequence = in.ConsumeIntegral<std::uint64_t>();
    hb.send_time_ms = in.ConsumeIntegralInRange<std::int64_t>(0, kMaxSendTimeMs - 1);
    hb.interval_ms = in.ConsumeIntegralInRange<std::uint32_t>(kMinIntervalMs, kMaxIntervalMs);
    const std::size_t reserve = in.ConsumeBool() ? kAuthTagLength : 0;
    const std::size_t max_size = in.ConsumeIntegralInRange<std::size_t>(0, kMaxDatagram + 100);
    while (in.remaining_bytes() > 0) {
        Metric m;
        m.name = in.ConsumeRandomLengthString(kMaxNameLength + 1);
        m.value = std::bit_cast<double>(in.ConsumeIntegral<std::uint64_t>());
        hb.metrics.push_back(std::move(m));
    }
    std::vector<Metric> kept;
    std::copy_if(hb.metrics.begin(), hb.metrics.end(), std::back_inserter(kept),
                 [](const Metric& m) { return valid_name(m.name) && std::isfinite(m.value); });
    std::vector<std::string> datagrams;
    std::size_t skipped = 0;
    try {
        datagrams = pack_beat(hb, reserve, &skipped, max_size);
    } catch (const std::invalid_argument&) {
        // An invalid host, no room for one record of the longest name, or over 255 datagrams
        // (each holds at least one record).
        const std::size_t one_record = kHeaderFixed + hb.host.size() + 2 + 1 + kMaxNameLength + 8;
        FUZZ_CHECK(!valid_name(hb.host) ||
                   one_record + reserve > std::min(max_size, kMaxDatagram) || kept.size() > 255);
        return;
    }
    FUZZ_CHECK(skipped == hb.metrics.size() - kept.size());
    FUZZ_CHECK(!datagrams.empty() && datagrams.size() <= 255);
    const std::size_t limit = std::min(max_size, kMaxDatagram) - reserve;

    std::size_t k = 0;
    for (std::size_t i = 0; i < datagrams.size(); ++i) {
        const std::string& d = datagrams[i];
        FUZZ_CHECK(d.size() <= limit);
        HeartbeatView v;
        FUZZ_CHECK(decode_heartbeat(d, v) == DecodeError::ok);
        FUZZ_CHECK(v.part == i && v.parts == datagrams.size() && v.flags == 0);
        FUZZ_CHECK(v.host == hb.host && v.incarnation == hb.incarnation &&
                   v.sequence == hb.sequence && v.send_time_ms == hb.send_time_ms &&
                   v.interval_ms == hb.interval_ms);
        FUZZ_CHECK(v.metric_count > 0 || datagrams.size() == 1);
        MetricCursor cursor = v.metrics();
        for (MetricView m; cursor.next(m); ++k) {
            FUZZ_CHECK(k < kept.size());
            FUZZ_CHECK(m.name == kept[k].name && same_bits(m.value, kept[k].value));
        }
    }
    FUZZ_CHECK(k == kept.size());
}

}  // namespace
}  // namespace beat::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    beat::fuzz::check_decode(std::string_view(reinterpret_cast<const char*>(data), size));
    FuzzedDataProvider in(data, size);
    beat::fuzz::check_pack(in);
    return 0;
}
