// The plans file of README "Plans", which the tests of the plans file, the pages and the server
// read: db for hosts named db-* and pg?.example, default for the others.
#pragma once

#include <string_view>

namespace beat::test {

inline constexpr std::string_view kExamplePlans =
    R"(# Plans are matched in file order; the first whose hosts match a host's name is its plan.
# A plan named "default" (if any) applies to hosts no other plan matches.
[plans.db]
hosts = ["db-*", "pg?.example"]      # glob patterns on the host name
interval = "2s"                      # the beat interval
collectors = { cpu = "2s", mem = "2s", disk = "30s" }   # only these run, each at its interval
plugins = { postgres = "30s" }       # plugins the node has installed, by name

[plans.default]
interval = "5s"
collectors = { cpu = "5s", mem = "5s", load = "15s", disk = "60s", net = "5s" }
)";

}  // namespace beat::test
