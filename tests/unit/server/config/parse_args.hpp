// Runs beat_server's command-line parser as main() does, with files held in memory.
#pragma once

#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "beat_server/core/config/server_config.hpp"

namespace beat::test {

// parse_server_args() over "beat_server" and `args`, where --config can read only `files`
// (path -> text).
inline ParsedArgs parse(std::vector<const char*> args,
                        std::map<std::string, std::string> files = {}) {
    args.insert(args.begin(), "beat_server");
    return parse_server_args(static_cast<int>(args.size()), args.data(),
                             [&files](const std::string& path, std::string& error) {
                                 const auto it = files.find(path);
                                 if (it == files.end()) {
                                     error = std::strerror(ENOENT);
                                     return std::optional<std::string>();
                                 }
                                 return std::optional<std::string>(it->second);
                             });
}

}  // namespace beat::test
