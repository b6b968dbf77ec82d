// Reading the server's own files of settings: the config file (--config) and the plans file
// (--plans). Both are a few KiB of TOML.
#pragma once

#include <optional>
#include <string>

namespace beat {

// The text of the file at `path`, or nullopt with `error` saying why ("No such file or
// directory", "larger than 1 MiB"). A file over 1 MiB is refused rather than read.
std::optional<std::string> read_config_file(const std::string& path, std::string& error);

}  // namespace beat
