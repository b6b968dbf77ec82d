// Reads small files into one buffer that is reused from read to read, so that a beat costs a few
// system calls and no allocation.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beat {

// A /proc file kept open between reads: procfs generates its content afresh at every read from
// offset 0, so the agent opens each file once instead of once per beat.
class ProcFile {
  public:
    explicit ProcFile(std::string path) : path_(std::move(path)) {}
    ProcFile(const ProcFile&) = delete;
    ProcFile& operator=(const ProcFile&) = delete;
    ~ProcFile();

    const std::string& path() const noexcept { return path_; }

    // True when the kernel flags a change (POLLPRI), as it does on /proc/self/mounts when the
    // mount table changes, and always while the file is not open yet.
    bool changed() noexcept;

  private:
    friend class FileReader;
    std::string path_;
    int fd_ = -1;
};

class FileReader {
  public:
    // Returns the whole content of `path`, read with open/read/close, valid until the next read.
    // On failure returns nullopt and sets `error` to the errno value (EFBIG when the file holds
    // more than `max_bytes`).
    std::optional<std::string_view> read(const char* path, int& error,
                                         std::size_t max_bytes = kMaxBytes);

    // Returns the current content of `file` with one pread() from offset 0 (opening the file
    // first if it is not open, and growing the buffer when the content fills it), valid until the
    // next read. On failure the file is closed, to be opened again next time.
    std::optional<std::string_view> read(ProcFile& file, int& error);

  private:
    static constexpr std::size_t kMaxBytes = 4 << 20;
    std::vector<char> buf_ = std::vector<char>(8192);
};

}  // namespace beat
