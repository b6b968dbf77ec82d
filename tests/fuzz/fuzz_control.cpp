// Fuzz driver for the control datagram codec (common/control.hpp), under one fixed key: bytes 0,
// 1, ..., 31 (the signed seeds in corpus/fuzz_control were made with it).
//
// Invariants, for any input:
// - decode_control() never reads outside the input (ASan) and its views lie inside it; a
//   datagram it accepts is at most kMaxControl bytes and starts with the control magic.
// - A datagram that decodes encodes again, from its decoded fields, to the same bytes: unsigned
//   ones without a key, signed ones under the key exactly when their tag verifies.
// - A datagram that decodes without the auth flag never verifies.
// - A plan's payload lies inside the datagram; when it decodes as a plan (common/plan.hpp), the
//   plan encodes again to the same body, every name in it valid and every interval in range.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/control.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace beat::fuzz {
namespace {

const Key kKey = *parse_key("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

void check_plan(std::string_view body) {
    Plan plan;
    if (decode_plan(body, plan) != DecodeError::ok) return;
    FUZZ_CHECK(valid_plan_name(plan.name));
    for (const auto* items : {&plan.collectors, &plan.plugins}) {
        if (!*items) continue;
        FUZZ_CHECK((*items)->size() <= kMaxPlanItems);
        for (const PlanItem& i : **items) {
            FUZZ_CHECK(valid_plan_name(i.name));
            FUZZ_CHECK(i.every_ms >= kMinIntervalMs && i.every_ms <= kMaxIntervalMs);
        }
    }
    std::string again;
    encode_plan(plan, again);
    FUZZ_CHECK(again == body);
    FUZZ_CHECK(plan_version(again) != 0);
}

void check(std::string_view input, const ControlView& v) {
    FUZZ_CHECK(input.size() <= kMaxControl);
    FUZZ_CHECK(is_control(input));
    FUZZ_CHECK(within(input, v.host) && within(input, v.auth_tag) && within(input, v.signed_bytes));
    FUZZ_CHECK(v.payload.empty() == (v.type != ControlType::plan));
    FUZZ_CHECK(within(input, v.payload));
    if (v.type == ControlType::plan) check_plan(v.payload);
    FUZZ_CHECK(v.signed_bytes.size() + v.auth_tag.size() == input.size());

    Control c;
    c.type = v.type;
    c.host = v.host;
    c.incarnation = v.incarnation;
    c.number = v.number;
    c.time_ms = v.time_ms;
    c.payload = v.payload;
    std::string again;
    const bool signed_input = (v.flags & kFlagAuth) != 0;
    encode_control(c, signed_input ? &kKey : nullptr, again);
    FUZZ_CHECK(again.size() == input.size());
    if (!signed_input) {
        FUZZ_CHECK(again == input);
        FUZZ_CHECK(!verify_control(v, kKey));
        return;
    }
    FUZZ_CHECK(again.substr(0, v.signed_bytes.size()) == v.signed_bytes);
    FUZZ_CHECK(verify_control(v, kKey) == (again == input));
}

}  // namespace
}  // namespace beat::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    beat::ControlView v;
    if (beat::decode_control(input, v) != beat::DecodeError::ok) return 0;
    beat::fuzz::check(input, v);
    return 0;
}
