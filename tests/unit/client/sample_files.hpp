// The captured /proc files under tests/data/proc.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace beat::test {

// The content of tests/data/proc/<name>; throws when the file is missing.
inline std::string proc_sample(const std::string& name) {
    const std::string path = std::string(BEAT_TEST_DATA) + "/proc/" + name;
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("missing sample file " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace beat::test
