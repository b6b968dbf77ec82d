// What the monitor knows of one host's collection plan (README "Plans"): the plan its agent runs,
// the plan the server wants it to run, and the plans sent to it.
#pragma once

#include <cstdint>

#include "beat_server/core/ingest/send_window.hpp"
#include "beat_server/core/plans/plan_book.hpp"

namespace beat {

// Plans sent to one host at most, in any kPlanResendWindowMs (docs/datagram.md, "Plans").
inline constexpr std::size_t kMaxPlanSends = 6;
inline constexpr std::int64_t kPlanResendWindowMs = 60'000;

struct HostPlan {
    // The version of the plan the agent's latest beat says it runs; 0: its local settings.
    std::uint32_t running = 0;
    // The plan the server wants for the host, matched in the plans of generation `generation` (0:
    // not matched yet): its index in that PlanBook (PlanBook::kNoPlan: none) and its version (0
    // with none). Matched again when the plans have changed since.
    std::uint32_t generation = 0;
    std::uint32_t index = PlanBook::kNoPlan;
    std::uint32_t wanted = 0;
    SendWindow<kMaxPlanSends> sends;
    bool sent = false;      // Its wanted plan was sent since the agent last ran that plan.
    bool reloaded = false;  // Its wanted plan changed on a reload since the agent last ran it.
};

// A host's plan as the pages show it.
struct HostPlanView {
    const PlanEntry* plan = nullptr;  // Null: the server has no plan for the host.
    std::uint32_t wanted = 0;         // The plan's version; 0 with none.
    std::uint32_t running = 0;        // As HostPlan::running.
};

}  // namespace beat
