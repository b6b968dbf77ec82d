// One stored sample: a key's value at one second.
#pragma once

#include <cstdint>

namespace beat {

struct Point {
    std::int64_t timestamp;  // Unix seconds.
    double value;
};

}  // namespace beat
