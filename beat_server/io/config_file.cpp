#include "beat_server/io/config_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace beat {

std::optional<std::string> read_config_file(const std::string& path, std::string& error) {
    constexpr std::size_t kMaxBytes = 1 << 20;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = std::strerror(errno);
        return std::nullopt;
    }
    std::string text;
    char buf[8192];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 && text.size() <= kMaxBytes)
        text.append(buf, static_cast<std::size_t>(n));
    const int read_errno = errno;
    ::close(fd);
    if (n < 0) {
        error = std::strerror(read_errno);
        return std::nullopt;
    }
    if (text.size() > kMaxBytes) {
        error = "larger than 1 MiB";
        return std::nullopt;
    }
    return text;
}

}  // namespace beat
