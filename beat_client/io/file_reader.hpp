// Reads small files (/proc, the metrics file) with plain open/read/close into one buffer that is
// reused from read to read, so that a beat costs a few system calls and no allocation.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace beat {

class FileReader {
  public:
    // Returns the whole content of `path`, valid until the next read. On failure returns nullopt
    // and sets `error` to the errno value (EFBIG when the file holds more than `max_bytes`).
    std::optional<std::string_view> read(const char* path, int& error,
                                         std::size_t max_bytes = 4 << 20);

  private:
    std::vector<char> buf_ = std::vector<char>(8192);
};

}  // namespace beat
