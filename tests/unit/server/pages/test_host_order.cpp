#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "beat_server/core/pages/host_order.hpp"

using namespace beat;

namespace {

// `n` distinct names in a shuffled order, some sharing long prefixes, some not ASCII; every
// third one is in the first group.
std::vector<std::pair<std::string, bool>> shuffled_names(std::size_t n) {
    std::vector<std::pair<std::string, bool>> names;
    for (std::size_t i = 0; i < n; ++i) {
        std::string name = i % 4 == 0   ? fmt::format("node-{:06}.dc1.example.net", i)
                           : i % 4 == 1 ? fmt::format("{}", i * 7919 % 100'003)
                           : i % 4 == 2 ? fmt::format("caf\xc3\xa9-{}", i)
                                        : fmt::format("Z{}", i);
        names.emplace_back(std::move(name), i % 3 == 0);
    }
    std::shuffle(names.begin(), names.end(), std::mt19937(42));
    return names;
}

std::vector<std::string> listed(const HostOrder& order) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < order.size(); ++i)
        out.emplace_back(order.name(i));
    return out;
}

}  // namespace

TEST_CASE("hosts are ordered by name in bounded steps whatever the fleet's size and the budget",
          "[host_order]") {
    for (const std::size_t n : {0, 1, 2, 1023, 1024, 1025, 3000, 5000}) {
        for (const std::size_t budget : {0, 1, 777, 1 << 16, 1 << 30}) {
            CAPTURE(n, budget);
            HostOrder order;
            std::vector<std::string> expected;
            for (const auto& [name, first] : shuffled_names(n)) {
                order.add(name);
                expected.push_back(name);
            }
            std::sort(expected.begin(), expected.end());
            std::size_t steps = 0;
            while (!order.sort(budget))
                ++steps;
            CHECK(order.sorted());
            CHECK(listed(order) == expected);
            // A budget of a full sort or more ends it at once.
            if (budget >= (std::size_t{1} << 30)) CHECK(steps == 0);
        }
    }
}

TEST_CASE("a large fleet takes several steps, each within about its budget", "[host_order]") {
    HostOrder order;
    for (const auto& [name, first] : shuffled_names(20'000))
        order.add(name);
    std::size_t steps = 1;
    while (!order.sort(1 << 16))
        ++steps;
    // About 20,000 x (10 + log2(20,000 / 1,024) ~ 5) comparisons, in steps of 2^16.
    CHECK(steps >= 4);
    CHECK(steps <= 8);
}

TEST_CASE("hosts added as first come before the others, each group by name", "[host_order]") {
    HostOrder order;
    std::vector<std::string> firsts, others;
    for (const auto& [name, first] : shuffled_names(2500)) {
        order.add(name, first);
        (first ? firsts : others).push_back(name);
    }
    std::sort(firsts.begin(), firsts.end());
    std::sort(others.begin(), others.end());
    firsts.insert(firsts.end(), others.begin(), others.end());
    while (!order.sort(5000)) {
    }
    CHECK(listed(order) == firsts);
}
