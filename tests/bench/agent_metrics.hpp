// The metric names a Linux agent with one disk besides / and two interfaces sends, in the order
// of its beats: the fleet the benchmarks simulate.
#pragma once

#include <array>

namespace beat::bench {

inline constexpr std::array<const char*, 17> kAgentMetrics = {"cpu",
                                                              "mem.used_pct",
                                                              "mem.avail_bytes",
                                                              "swap.used_pct",
                                                              "load.1",
                                                              "load.5",
                                                              "load.15",
                                                              "intr",
                                                              "ctxt",
                                                              "uptime",
                                                              "disk./.used_pct",
                                                              "disk./var.used_pct",
                                                              "net.eth0.rx_bps",
                                                              "net.eth0.tx_bps",
                                                              "net.lo.rx_bps",
                                                              "net.lo.tx_bps",
                                                              "agent.rss_bytes"};

}  // namespace beat::bench
